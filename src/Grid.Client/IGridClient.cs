using System.Text.Json.Serialization.Metadata;

namespace Grid.Client;

/// <summary>Invokes and manages Grid functions over Grid's Lambda-compatible HTTP API (SigV4-signed) on any node.</summary>
public interface IGridClient
{
    /// <summary>Invokes synchronously with JSON in and out; a function error throws <see cref="FunctionErrorException"/>.</summary>
    Task<TOut?> InvokeAsync<TIn, TOut>(string function, TIn input, InvokeOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>As above, with source-generated serialization metadata (trimming/AOT friendly).</summary>
    Task<TOut?> InvokeAsync<TIn, TOut>(string function, TIn input, JsonTypeInfo<TIn> inputType, JsonTypeInfo<TOut> outputType,
        InvokeOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Invokes synchronously with bytes in and out; never throws for a function error: inspect <see cref="InvokeResult.FunctionError"/>.</summary>
    Task<InvokeResult> InvokeRawAsync(string function, ReadOnlyMemory<byte> payload, InvokeOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Queues an asynchronous (Event) invoke; returns the request id once the node has stored the event.</summary>
    Task<string> InvokeEventAsync<TIn>(string function, TIn input, InvokeOptions? options = null, CancellationToken cancellationToken = default);

    Task<string> InvokeEventRawAsync(string function, ReadOnlyMemory<byte> payload, InvokeOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Creates the function, or updates its code then configuration if it exists; waits until the update is visible; optionally publishes.</summary>
    Task<FunctionInfo> DeployAsync(DeployRequest request, IProgress<DeployProgress>? progress = null, CancellationToken cancellationToken = default);

    Task<FunctionInfo> GetFunctionAsync(string function, string? qualifier = null, CancellationToken cancellationToken = default);

    /// <summary>Every function ($LATEST), following Marker paging.</summary>
    IAsyncEnumerable<FunctionInfo> ListFunctionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes the function, or one version of it.</summary>
    Task DeleteFunctionAsync(string function, string? qualifier = null, CancellationToken cancellationToken = default);

    Task<FunctionInfo> PublishVersionAsync(string function, string? description = null, CancellationToken cancellationToken = default);

    IAsyncEnumerable<FunctionInfo> ListVersionsAsync(string function, CancellationToken cancellationToken = default);

    /// <summary>Creates the alias or points it elsewhere; <paramref name="additionalVersionWeights"/> (version to share 0..1) splits traffic, null clears the split.</summary>
    Task<AliasInfo> SetAliasAsync(string function, string alias, string version, IReadOnlyDictionary<string, double>? additionalVersionWeights = null,
        string? description = null, CancellationToken cancellationToken = default);

    Task<AliasInfo> GetAliasAsync(string function, string alias, CancellationToken cancellationToken = default);

    IAsyncEnumerable<AliasInfo> ListAliasesAsync(string function, CancellationToken cancellationToken = default);

    Task DeleteAliasAsync(string function, string alias, CancellationToken cancellationToken = default);

    /// <summary>The function's reserved concurrency, or null if it has none.</summary>
    Task<int?> GetReservedConcurrencyAsync(string function, CancellationToken cancellationToken = default);

    Task SetReservedConcurrencyAsync(string function, int reserved, CancellationToken cancellationToken = default);

    Task DeleteReservedConcurrencyAsync(string function, CancellationToken cancellationToken = default);

    Task<AccountSettings> GetAccountSettingsAsync(CancellationToken cancellationToken = default);

    /// <summary>Stored invocation logs; with <see cref="LogQuery.Follow"/> it keeps streaming new ones until cancelled.</summary>
    IAsyncEnumerable<LogRecord> GetLogsAsync(string function, LogQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>Metered usage; default: this month so far.</summary>
    Task<UsageReport> GetUsageAsync(DateTimeOffset? start = null, DateTimeOffset? end = null, CancellationToken cancellationToken = default);

    /// <summary>The answering node's live statistics.</summary>
    Task<NodeStats> GetStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates a schedule that invokes a function asynchronously on a rate or cron expression.</summary>
    Task<ScheduleInfo> CreateScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken = default);

    /// <summary>Changes the fields given in <paramref name="changes"/>.</summary>
    Task<ScheduleInfo> UpdateScheduleAsync(string name, ScheduleRequest changes, CancellationToken cancellationToken = default);

    Task<ScheduleInfo> GetScheduleAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every schedule of the account (optionally those whose name starts with <paramref name="namePrefix"/>), following paging.</summary>
    IAsyncEnumerable<ScheduleInfo> ListSchedulesAsync(string? namePrefix = null, CancellationToken cancellationToken = default);

    Task DeleteScheduleAsync(string name, CancellationToken cancellationToken = default);
}
