using Grid.Server.Api;
using Grid.Server.Async;
using Grid.Server.Execution;
using Grid.Server.Hosting;
using Grid.Server.Streams;
using Microsoft.Extensions.Options;

namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// Runs one batch of one shard through a mapping's function with Lambda's stream rules:
/// <list type="bullet">
/// <item>FilterCriteria: records no filter matches are skipped (they count as processed).</item>
/// <item>The Kinesis event is cut into invocations of at most 6 MB, run in order.</item>
/// <item>A function error or timeout retries the batch with backoff until MaximumRetryAttempts (-1: no limit) or until the
/// records are older than MaximumRecordAgeInSeconds (-1: until they leave the stream's retention).</item>
/// <item>BisectBatchOnFunctionError: a failed batch is split in halves, each run on its own (recursively); splitting does not
/// use up retries, so the count decides only once a batch cannot be split (one record).</item>
/// <item>ReportBatchItemFailures: the batch is retried from the lowest failed sequence number (an attempt); an unreadable
/// response is a complete failure.</item>
/// <item>Records given up on are described to the OnFailure destination (a function: queued as its async event; a Grid
/// stream: appended).</item>
/// <item>Throttles (429), a missing function and node/system errors are retried with backoff and never count as attempts.</item>
/// </list>
/// It never checkpoints: the caller does once this returns. Cancellation (the node stopping) throws
/// <see cref="OperationCanceledException"/>, and the whole batch is run again elsewhere (at least once).
/// </summary>
public sealed class BatchProcessor(
    FunctionInvoker invoker,
    MappingStore store,
    StreamLog streams,
    AsyncEventQueue asyncQueue,
    NodeDrain drain,
    IOptions<GridOptions> options,
    TimeProvider time,
    ILogger<BatchProcessor> logger)
{
    public const string ResultOk = "OK";
    public const string ResultFunctionFailed = "PROBLEM: Function call failed";
    public const string ResultFunctionNotFound = "PROBLEM: Function not found";
    public const string ResultThrottled = "PROBLEM: Function call throttled";
    public const string ResultSystemError = "PROBLEM: Internal error, retrying";

    /// <summary>First wait before retrying a failed batch; doubles per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    internal static TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    internal static TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxSystemDelay = TimeSpan.FromSeconds(30);

    private readonly string _region = options.Value.Region;

    // Captured as fields so the nested Run can use them.
    private readonly FunctionInvoker _invoker = invoker;
    private readonly MappingStore _store = store;
    private readonly NodeDrain _drain = drain;
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;

    public async Task ProcessAsync(MappingSnapshot mapping, int shard, IReadOnlyList<StreamRecord> records, CancellationToken ct)
    {
        var batch = Filter(mapping, shard, records);
        if (batch.Length == 0) return;
        var run = new Run(this, mapping, shard, ct);
        var memory = batch.AsMemory();
        var role = (await run.ResolveAsync()).Config.Role;
        run.Source = new KinesisEvent.Source(mapping.EventSourceArn, shard, _region, role);
        foreach (var length in KinesisEvent.SplitByPayload(memory.Span, run.Source))
        {
            await RunBatchAsync(run, memory[..length]);
            memory = memory[length..];
        }
    }

    private static StreamRecord[] Filter(MappingSnapshot mapping, int shard, IReadOnlyList<StreamRecord> records)
    {
        var filter = RecordFilter.For(mapping.Settings);
        if (filter is null) return records as StreamRecord[] ?? [.. records];
        return [.. records.Where(r => filter.Matches(r, shard))];
    }

    /// <summary>Runs one payload-sized batch until every record succeeded or was given up on.</summary>
    private async Task RunBatchAsync(Run run, ReadOnlyMemory<StreamRecord> batch)
    {
        var settings = run.Mapping.Settings;
        var failedAttempts = 0;
        OnFailureRecord.LastResponse? last = null;
        while (!batch.IsEmpty)
        {
            batch = await GiveUpExpiredAsync(run, batch, failedAttempts, last);
            if (batch.IsEmpty) return;
            var (failedFrom, response) = await run.InvokeAsync(batch);
            if (failedFrom == BatchItemFailures.Success)
            {
                await run.ReportAsync(ResultOk);
                return;
            }
            last = response;
            await run.ReportAsync(ResultFunctionFailed);
            if (failedFrom >= 0)
            {
                batch = batch[failedFrom..]; // the records before the lowest reported failure are done
            }
            else if (settings.BisectBatchOnFunctionError && batch.Length > 1)
            {
                var half = batch.Length / 2;
                await RunBatchAsync(run, batch[..half]);
                await RunBatchAsync(run, batch[half..]);
                return;
            }
            failedAttempts++;
            if (settings.MaximumRetryAttempts >= 0 && failedAttempts > settings.MaximumRetryAttempts)
            {
                await GiveUpAsync(run, batch, OnFailureRecord.RetryAttemptsExhausted, failedAttempts, last);
                return;
            }
            if (settings.MaximumRetryAttempts < 0 && settings.MaximumRecordAgeInSeconds < 0)
            {
                batch = await GiveUpTrimmedAsync(run, batch, failedAttempts, last);
            }
            await Task.Delay(Backoff(RetryBaseDelay, MaxRetryDelay, failedAttempts), _time, run.Ct);
        }
    }

    /// <summary>Gives up the leading records older than MaximumRecordAgeInSeconds (records arrive in order within a shard).</summary>
    private async Task<ReadOnlyMemory<StreamRecord>> GiveUpExpiredAsync(Run run, ReadOnlyMemory<StreamRecord> batch, int invokeCount,
        OnFailureRecord.LastResponse? last)
    {
        var maxAge = run.Mapping.Settings.MaximumRecordAgeInSeconds;
        if (maxAge < 0) return batch;
        var oldestAllowed = _time.GetUtcNow().ToUnixTimeMilliseconds() - maxAge * 1000L;
        var span = batch.Span;
        var expired = 0;
        while (expired < span.Length && span[expired].ArrivedMs < oldestAllowed) expired++;
        if (expired == 0) return batch;
        await GiveUpAsync(run, batch[..expired], OnFailureRecord.MaximumRecordAgeExceeded, invokeCount, last);
        return batch[expired..];
    }

    /// <summary>With no retry or age limit, records are retried until retention removes them from the stream; those are given up.</summary>
    private async Task<ReadOnlyMemory<StreamRecord>> GiveUpTrimmedAsync(Run run, ReadOnlyMemory<StreamRecord> batch, int invokeCount,
        OnFailureRecord.LastResponse? last)
    {
        var first = batch.Span[0].Seq;
        var retained = await run.SystemRetryAsync(() => streams.ReadAsync(run.Mapping.StreamId, run.Shard, first - 1, 1, run.Ct));
        var firstRetained = retained.Count > 0 ? retained[0].Seq : long.MaxValue;
        if (firstRetained <= first) return batch;
        var span = batch.Span;
        var gone = 0;
        while (gone < span.Length && span[gone].Seq < firstRetained) gone++;
        await GiveUpAsync(run, batch[..gone], OnFailureRecord.MaximumRecordAgeExceeded, invokeCount, last);
        return batch[gone..];
    }

    /// <summary>Sends the on-failure record for <paramref name="records"/> (if the mapping has a destination); they count as processed.</summary>
    private async Task GiveUpAsync(Run run, ReadOnlyMemory<StreamRecord> records, string condition, int invokeCount,
        OnFailureRecord.LastResponse? last)
    {
        var mapping = run.Mapping;
        _logger.LogWarning("Event source mapping {Uuid}: giving up {Count} record(s) of {ShardId} ({First}..{Last}) of {Function}: {Condition} after {Invokes} invocation(s)",
            mapping.Uuid, records.Length, run.Source.ShardId, records.Span[0].Seq, records.Span[^1].Seq, mapping.FunctionName, condition, invokeCount);
        if (mapping.Settings.OnFailureDestination is not { } destination) return;
        var functionArn = _invoker.InvokedArn(mapping.AccountId, mapping.FunctionName, mapping.Qualifier);
        var payload = OnFailureRecord.Create(records.Span, run.Source, functionArn, condition, invokeCount, last, _time.GetUtcNow());
        if (DestinationRecord.ParseFunctionArn(destination) is { } target)
        {
            await run.SystemRetryAsync(async () =>
            {
                await asyncQueue.EnqueueAsync(new NewAsyncEvent(Guid.NewGuid().ToString(), target.Account, target.Name, target.Qualifier, payload), run.Ct);
                return true;
            });
            return;
        }
        var stream = await run.SystemRetryAsync(() => streams.FindByArnAsync(destination, run.Ct));
        if (stream is null || stream.AccountId != mapping.AccountId)
        {
            _logger.LogWarning("Event source mapping {Uuid}: the on-failure destination stream {Arn} does not exist; the record is dropped. "
                + "Create the stream or update the mapping's DestinationConfig.", mapping.Uuid, destination);
            return;
        }
        await run.SystemRetryAsync(async () => await streams.AppendAsync(stream, $"{mapping.Uuid}/{run.Source.ShardId}", payload, ct: run.Ct));
    }

    /// <summary>base × 2^(n-1), capped, with ±25% jitter so failing shards do not retry in step.</summary>
    internal static TimeSpan Backoff(TimeSpan baseDelay, TimeSpan max, int attempt)
    {
        var ms = Math.Min(baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 20)), max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    /// <summary>One ProcessAsync call: the mapping, the shard, and what this call has seen.</summary>
    private sealed class Run(BatchProcessor owner, MappingSnapshot mapping, int shard, CancellationToken ct)
    {
        public MappingSnapshot Mapping => mapping;
        public int Shard => shard;
        public CancellationToken Ct => ct;
        public KinesisEvent.Source Source { get; set; } = null!;

        private readonly string _invokedArn = owner._invoker.InvokedArn(mapping.AccountId, mapping.FunctionName, mapping.Qualifier);
        private int _systemFailures;

        public async Task<Storage.FunctionRecord> ResolveAsync() =>
            await SystemRetryAsync(async () => (await owner._invoker.ResolveAsync(mapping.AccountId, mapping.FunctionName, mapping.Qualifier)).Pick());

        /// <summary>
        /// Invokes the function with <paramref name="batch"/> until it answers: returns Success, CompleteFailure or the index of the
        /// lowest failed record, and the answer's version and error. Throttles, a missing function and system errors wait and retry.
        /// </summary>
        public async Task<(int FailedFrom, OnFailureRecord.LastResponse Response)> InvokeAsync(ReadOnlyMemory<StreamRecord> batch)
        {
            var result = await SystemRetryAsync(async () =>
            {
                var record = (await owner._invoker.ResolveAsync(mapping.AccountId, mapping.FunctionName, mapping.Qualifier)).Pick();
                var payload = KinesisEvent.Build(batch.Span, Source);
                return await owner._invoker.InvokeAsync(record,
                    new InvokeRequest(record, Guid.NewGuid().ToString(), _invokedArn, payload, null, null, false));
            });
            var response = new OnFailureRecord.LastResponse(result.ExecutedVersion, result.FunctionError);
            if (result.FunctionError is not null)
            {
                // The node is ending its environments: this failure is the shutdown's, not the function's.
                if (ct.IsCancellationRequested || owner._drain.CutOff) throw new OperationCanceledException("The node is stopping.", ct);
                return (BatchItemFailures.CompleteFailure, response);
            }
            if (!mapping.Settings.ReportBatchItemFailures) return (BatchItemFailures.Success, response);
            return (BatchItemFailures.FirstFailedIndex(result.Payload, batch.Span, shard), response);
        }

        /// <summary>
        /// Runs <paramref name="action"/> until it succeeds: throttles, a missing function and other errors that are not the
        /// function's wait (1 s doubling to 30 s) without counting as attempts; only cancellation ends it.
        /// </summary>
        public async Task<T> SystemRetryAsync<T>(Func<Task<T>> action)
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                string problem;
                try
                {
                    var value = await action();
                    _systemFailures = 0;
                    return value;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw;
                }
                catch (LambdaException e) when (e.ErrorType == "TooManyRequestsException")
                {
                    problem = ResultThrottled;
                }
                catch (LambdaException e) when (e.ErrorType == "ResourceNotFoundException")
                {
                    problem = ResultFunctionNotFound;
                    owner._logger.LogWarning("Event source mapping {Uuid}: {Message}; retrying until the function exists or the mapping is deleted",
                        mapping.Uuid, e.Message);
                }
                catch (Exception e)
                {
                    problem = ResultSystemError;
                    owner._logger.LogWarning(e, "Event source mapping {Uuid}, shard {Shard}: system error; retrying", mapping.Uuid, shard);
                }
                await ReportAsync(problem);
                _systemFailures++;
                await Task.Delay(Backoff(TimeSpan.FromSeconds(1), MaxSystemDelay, _systemFailures), owner._time, ct);
            }
        }

        /// <summary>Sets the mapping's LastProcessingResult; the store writes only changes, and a failed write is only logged.</summary>
        public async Task ReportAsync(string result)
        {
            try
            {
                await owner._store.RecordProcessingResultAsync(mapping.Uuid, result, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                owner._logger.LogDebug(e, "Could not record the processing result of mapping {Uuid}", mapping.Uuid);
            }
        }
    }
}
