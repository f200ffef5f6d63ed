using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Grid.Client.Internal;

namespace Grid.Client;

/// <summary>The control plane: functions, versions, aliases, concurrency, account settings, usage and node stats.</summary>
public sealed partial class GridClient
{
    public Task<FunctionInfo> GetFunctionAsync(string function, string? qualifier = null, CancellationToken cancellationToken = default) =>
        GetJsonAsync(new ApiCall(HttpMethod.Get, FunctionPath(function) + Query(("Qualifier", qualifier)), $"GetFunction of '{function}'")
            { Function = function, Qualifier = qualifier },
            WireJson.Default.GetFunctionResponseDto, r => r.Configuration?.ToInfo(r.Concurrency?.ReservedConcurrentExecutions)
                ?? throw new GridException($"The node answered GetFunction of '{function}' without a configuration: check that {_endpoint} is a Grid node.", 200, "InvalidResponse", null),
            cancellationToken);

    /// <summary>The function's configuration only (no code location): what deploy polls.</summary>
    internal Task<FunctionInfo> GetConfigurationAsync(string function, CancellationToken cancellationToken) =>
        GetJsonAsync(new ApiCall(HttpMethod.Get, FunctionPath(function) + "/configuration", $"GetFunctionConfiguration of '{function}'") { Function = function },
            WireJson.Default.FunctionConfigurationDto, c => c.ToInfo(), cancellationToken);

    public async IAsyncEnumerable<FunctionInfo> ListFunctionsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        do
        {
            var page = await GetJsonAsync(new ApiCall(HttpMethod.Get, "/2015-03-31/functions" + Query(("Marker", marker)), "ListFunctions"),
                WireJson.Default.ListFunctionsResponseDto, p => p, cancellationToken);
            foreach (var f in page.Functions ?? []) yield return f.ToInfo();
            marker = page.NextMarker;
        }
        while (!string.IsNullOrEmpty(marker));
    }

    public Task DeleteFunctionAsync(string function, string? qualifier = null, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(new ApiCall(HttpMethod.Delete, FunctionPath(function) + Query(("Qualifier", qualifier)), $"DeleteFunction of '{function}'")
            { Function = function, Qualifier = qualifier }, cancellationToken);

    public Task<FunctionInfo> PublishVersionAsync(string function, string? description = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync(new ApiCall(HttpMethod.Post, FunctionPath(function) + "/versions", $"PublishVersion of '{function}'")
            {
                Function = function,
                Body = JsonSerializer.SerializeToUtf8Bytes(new PublishVersionRequestDto { Description = description }, WireJson.Default.PublishVersionRequestDto),
            },
            WireJson.Default.FunctionConfigurationDto, c => c.ToInfo(), cancellationToken);

    public async IAsyncEnumerable<FunctionInfo> ListVersionsAsync(string function, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        do
        {
            var page = await GetJsonAsync(new ApiCall(HttpMethod.Get, FunctionPath(function) + "/versions" + Query(("Marker", marker)),
                    $"ListVersionsByFunction of '{function}'") { Function = function },
                WireJson.Default.ListVersionsResponseDto, p => p, cancellationToken);
            foreach (var v in page.Versions ?? []) yield return v.ToInfo();
            marker = page.NextMarker;
        }
        while (!string.IsNullOrEmpty(marker));
    }

    public async Task<AliasInfo> SetAliasAsync(string function, string alias, string version, IReadOnlyDictionary<string, double>? additionalVersionWeights = null,
        string? description = null, CancellationToken cancellationToken = default)
    {
        var routing = new RoutingConfigDto { AdditionalVersionWeights = additionalVersionWeights?.ToDictionary() ?? [] };
        var update = new AliasRequestDto { FunctionVersion = version, Description = description, RoutingConfig = routing };
        try
        {
            return await SendJsonAsync(new ApiCall(HttpMethod.Put, AliasPath(function, alias), $"UpdateAlias '{alias}' of '{function}'")
                {
                    Function = function,
                    Body = JsonSerializer.SerializeToUtf8Bytes(update, WireJson.Default.AliasRequestDto),
                },
                WireJson.Default.AliasDto, a => a.ToInfo(), cancellationToken);
        }
        catch (GridNotFoundException)
        {
            // No such alias yet (or no such function, which the create below reports).
            var create = new AliasRequestDto { Name = alias, FunctionVersion = version, Description = description, RoutingConfig = routing };
            return await SendJsonAsync(new ApiCall(HttpMethod.Post, FunctionPath(function) + "/aliases", $"CreateAlias '{alias}' of '{function}'")
                {
                    Function = function,
                    Body = JsonSerializer.SerializeToUtf8Bytes(create, WireJson.Default.AliasRequestDto),
                },
                WireJson.Default.AliasDto, a => a.ToInfo(), cancellationToken);
        }
    }

    public Task<AliasInfo> GetAliasAsync(string function, string alias, CancellationToken cancellationToken = default) =>
        GetJsonAsync(new ApiCall(HttpMethod.Get, AliasPath(function, alias), $"GetAlias '{alias}' of '{function}'"),
            WireJson.Default.AliasDto, a => a.ToInfo(), cancellationToken);

    public async IAsyncEnumerable<AliasInfo> ListAliasesAsync(string function, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        do
        {
            var page = await GetJsonAsync(new ApiCall(HttpMethod.Get, FunctionPath(function) + "/aliases" + Query(("Marker", marker)),
                    $"ListAliases of '{function}'") { Function = function },
                WireJson.Default.ListAliasesResponseDto, p => p, cancellationToken);
            foreach (var a in page.Aliases ?? []) yield return a.ToInfo();
            marker = page.NextMarker;
        }
        while (!string.IsNullOrEmpty(marker));
    }

    public Task DeleteAliasAsync(string function, string alias, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(new ApiCall(HttpMethod.Delete, AliasPath(function, alias), $"DeleteAlias '{alias}' of '{function}'"), cancellationToken);

    public Task<int?> GetReservedConcurrencyAsync(string function, CancellationToken cancellationToken = default) =>
        GetJsonAsync(new ApiCall(HttpMethod.Get, "/2019-09-30/functions/" + Escape(RequireName(function)) + "/concurrency",
                $"GetFunctionConcurrency of '{function}'") { Function = function },
            WireJson.Default.ConcurrencyDto, c => c.ReservedConcurrentExecutions, cancellationToken);

    public Task SetReservedConcurrencyAsync(string function, int reserved, CancellationToken cancellationToken = default) =>
        SendJsonAsync(new ApiCall(HttpMethod.Put, ConcurrencyPath(function), $"PutFunctionConcurrency of '{function}'")
            {
                Function = function,
                Body = JsonSerializer.SerializeToUtf8Bytes(new ConcurrencyDto { ReservedConcurrentExecutions = reserved }, WireJson.Default.ConcurrencyDto),
            },
            WireJson.Default.ConcurrencyDto, c => c, cancellationToken);

    public Task DeleteReservedConcurrencyAsync(string function, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(new ApiCall(HttpMethod.Delete, ConcurrencyPath(function), $"DeleteFunctionConcurrency of '{function}'") { Function = function },
            cancellationToken);

    public Task<AccountSettings> GetAccountSettingsAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync(new ApiCall(HttpMethod.Get, "/2016-08-19/account-settings", "GetAccountSettings"), WireJson.Default.AccountSettingsResponseDto,
            s => new AccountSettings(s.AccountLimit?.ConcurrentExecutions ?? 0, s.AccountLimit?.UnreservedConcurrentExecutions ?? 0,
                s.AccountUsage?.TotalCodeSize ?? 0, s.AccountUsage?.FunctionCount ?? 0),
            cancellationToken);

    public Task<UsageReport> GetUsageAsync(DateTimeOffset? start = null, DateTimeOffset? end = null, CancellationToken cancellationToken = default) =>
        GetJsonAsync(new ApiCall(HttpMethod.Get, "/grid/2026-11-01/usage" + Query(("start", Iso(start)), ("end", Iso(end))), "GetUsage"),
            WireJson.Default.UsageReport, u => u, cancellationToken);

    public Task<NodeStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync(new ApiCall(HttpMethod.Get, "/grid/2026-11-01/stats", "GetStats"), WireJson.Default.NodeStats, s => s, cancellationToken);

    private static string AliasPath(string function, string alias) =>
        FunctionPath(function) + "/aliases/" + Escape(string.IsNullOrWhiteSpace(alias) ? throw new ArgumentException("An alias name is required.", nameof(alias)) : alias);

    private static string ConcurrencyPath(string function) => "/2017-10-31/functions/" + Escape(RequireName(function)) + "/concurrency";

    private static string? Iso(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private Task<TResult> GetJsonAsync<TWire, TResult>(ApiCall call, JsonTypeInfo<TWire> type, Func<TWire, TResult> map, CancellationToken cancellationToken) =>
        SendJsonAsync(call, type, map, cancellationToken);

    private Task<TResult> SendJsonAsync<TWire, TResult>(ApiCall call, JsonTypeInfo<TWire> type, Func<TWire, TResult> map, CancellationToken cancellationToken) =>
        SendAsync(call, async (response, ct) =>
        {
            var body = await ResponseBody.ReadAsync(response.Content, ct);
            TWire? value;
            try
            {
                value = JsonSerializer.Deserialize(body, type);
            }
            catch (JsonException e)
            {
                throw new GridException($"{call.Operation}: the answer from {_endpoint} is not the expected JSON ({e.Message}). Check that the endpoint is a Grid node.",
                    (int)response.StatusCode, "InvalidResponse", RequestId(response), e);
            }
            return value is null
                ? throw new GridException($"{call.Operation}: {_endpoint} answered with an empty body. Check that the endpoint is a Grid node.",
                    (int)response.StatusCode, "InvalidResponse", RequestId(response))
                : map(value);
        }, cancellationToken);

    private Task SendNoContentAsync(ApiCall call, CancellationToken cancellationToken) =>
        SendAsync(call, (_, _) => Task.FromResult(true), cancellationToken);
}
