using Grid.Server.Api;
using Grid.Server.Control;
using Grid.Server.Execution;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Grid.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Grid.Server.Async;

/// <summary>
/// Runs queued asynchronous invocations on this node. Every <see cref="GridOptions.AsyncPollInterval"/> (or at once
/// when this node queued an event) it claims due events with a lease, up to <see cref="GridOptions.AsyncConcurrency"/>
/// running at a time, and renews the leases of the running ones every third of <see cref="GridOptions.AsyncLeaseDuration"/>.
/// Outcomes, as Lambda:
/// success: delete, on-success destination; function error or timeout: retry after 1× then 2×
/// <see cref="GridOptions.AsyncRetryBaseDelay"/> until MaximumRetryAttempts, then on-failure destination and dead-letter
/// target (RetriesExhausted); older than MaximumEventAgeInSeconds: the same with EventAgeExceeded; throttled (429) or a
/// system error: retried with growing delays without counting an attempt; function or qualifier deleted: dropped.
/// </summary>
public sealed class AsyncDispatcher(
    AsyncEventQueue queue,
    EventInvokeConfigStore configs,
    FunctionInvoker invoker,
    GridMetrics metrics,
    IOptions<GridOptions> options,
    NodeDrain drain,
    ILogger<AsyncDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan MaxSystemRetryDelay = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan DepthInterval = TimeSpan.FromSeconds(5);

    /// <summary>This process's lease owner name: a restarted node never mistakes an old claim for its own.</summary>
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private readonly GridOptions _options = options.Value;
    private int _running;
    private volatile bool _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var renewal = RenewLoopAsync(stoppingToken);
        var depth = DepthLoopAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // A draining node claims nothing new; the drain waits for the events it runs (they count as in flight).
                var free = drain.Draining ? 0 : _options.AsyncConcurrency - Volatile.Read(ref _running);
                var claimed = 0;
                if (free > 0)
                {
                    try
                    {
                        var leaseUntil = queue.Now + (long)_options.AsyncLeaseDuration.TotalMilliseconds;
                        var batch = await queue.ClaimAsync(_owner, Math.Min(free, 100), leaseUntil, stoppingToken);
                        claimed = batch.Count;
                        foreach (var e in batch)
                        {
                            Interlocked.Increment(ref _running);
                            drain.Enter();
                            _ = Task.Run(() => RunGuardedAsync(e), CancellationToken.None);
                        }
                    }
                    catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                    {
                        logger.LogWarning(e, "Claiming async events failed; retrying");
                        await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                        continue;
                    }
                    if (claimed > 0 && claimed == Math.Min(free, 100)) continue; // there may be more due now
                }
                await queue.Signal.WaitAsync(_options.AsyncPollInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(renewal, depth);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await base.StopAsync(cancellationToken);
        try
        {
            await queue.ReleaseAllAsync(_owner, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not release async event leases; they expire after {Lease}", _options.AsyncLeaseDuration);
        }
    }

    private async Task RenewLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.AsyncLeaseDuration / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (Volatile.Read(ref _running) == 0) continue;
                try
                {
                    await queue.RenewAsync(_owner, queue.Now + (long)_options.AsyncLeaseDuration.TotalMilliseconds, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Renewing async event leases failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DepthLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(DepthInterval);
        try
        {
            do
            {
                try
                {
                    metrics.AsyncQueueDepth = await queue.CountAsync(ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    logger.LogDebug(e, "Counting async events failed");
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunGuardedAsync(AsyncEvent e)
    {
        try
        {
            await RunAsync(e);
        }
        catch (Exception ex)
        {
            // The lease expires and the event is retried (by this node or another).
            logger.LogError(ex, "Async event {RequestId} of {Function} failed in the dispatcher", e.Id, e.Name);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            drain.Exit();
            queue.Wake(); // a slot is free
        }
    }

    private async Task RunAsync(AsyncEvent e)
    {
        var now = queue.Now;
        var qualifier = e.Qualifier ?? "$LATEST";
        var recordArn = Arns.Function(_options.Region, e.AccountId, e.Name, qualifier);
        metrics.AsyncEventStarted(e.AccountId, e.Name, (now - e.Created) / 1000.0);
        var config = await configs.GetCachedAsync(e.AccountId, e.Name, qualifier);
        var maxAgeMs = (config?.MaximumEventAgeInSeconds ?? EventInvokeConfigStore.DefaultMaximumEventAgeInSeconds) * 1000L;
        var maxRetries = config?.MaximumRetryAttempts ?? EventInvokeConfigStore.DefaultMaximumRetryAttempts;

        if (now - e.Created > maxAgeMs)
        {
            await FailAsync(e, config, null, recordArn, DestinationRecord.EventAgeExceeded, e.Attempts, null);
            return;
        }

        InvokeResult result;
        Storage.FunctionRecord record;
        try
        {
            record = (await invoker.ResolveAsync(e.AccountId, e.Name, e.Qualifier)).Pick();
            var invokedArn = invoker.InvokedArn(e.AccountId, e.Name, e.Qualifier);
            result = await invoker.InvokeAsync(record, new InvokeRequest(record, e.Id, invokedArn, e.Payload, e.ClientContext, null, false));
        }
        catch (LambdaException ex) when (ex.ErrorType == "ResourceNotFoundException")
        {
            logger.LogWarning("Dropping async event {RequestId}: {Message}", e.Id, ex.Message);
            metrics.AsyncDropped(e.AccountId, e.Name, "function_not_found");
            await queue.CompleteAsync(e, _owner, []);
            return;
        }
        catch (Exception ex)
        {
            // 429 (concurrency exhausted) or a system error: wait and try again; the attempt does not count.
            var throttled = ex is LambdaException { ErrorType: "TooManyRequestsException" };
            if (!throttled) logger.LogWarning(ex, "Async event {RequestId} of {Function} hit a system error; retrying", e.Id, e.Name);
            await RetryLaterAsync(e, config, recordArn, maxAgeMs, e.Attempts, e.Throttles + 1, SystemDelay(e.Throttles), null, null);
            return;
        }

        var response = (result.ExecutedVersion, result.FunctionError, result.Payload);
        if (result.FunctionError is null)
        {
            List<NewAsyncEvent> followUps = [];
            if (DestinationRecord.OnSuccess(config) is { } target)
            {
                var payload = DestinationRecord.Create(e, recordArn, DestinationRecord.Success, e.Attempts + 1, response, DateTimeOffset.UtcNow);
                AddFunctionTarget(followUps, e, target, payload, "on-success destination");
            }
            await queue.CompleteAsync(e, _owner, followUps);
            return;
        }
        if (_stopping || drain.CutOff)
        {
            // The node is ending its environments: this failure is the shutdown's, not the function's.
            await queue.RescheduleAsync(e, _owner, queue.Now, e.Attempts, e.Throttles);
            return;
        }

        var attempts = e.Attempts + 1;
        if (attempts > maxRetries)
        {
            await FailAsync(e, config, record, recordArn, DestinationRecord.RetriesExhausted, attempts, response);
            return;
        }
        var delay = _options.AsyncRetryBaseDelay * attempts;
        await RetryLaterAsync(e, config, recordArn, maxAgeMs, attempts, e.Throttles, delay, record, response);
    }

    /// <summary>Reschedules, unless the event would be too old by then: then it fails now with EventAgeExceeded.</summary>
    private async Task RetryLaterAsync(AsyncEvent e, FunctionEventInvokeConfig? config, string recordArn, long maxAgeMs, int attempts,
        int throttles, TimeSpan delay, Storage.FunctionRecord? record, (string, string?, byte[])? response)
    {
        var due = queue.Now + (long)delay.TotalMilliseconds;
        if (due - e.Created > maxAgeMs)
        {
            await FailAsync(e, config, record, recordArn, DestinationRecord.EventAgeExceeded, attempts, response);
            return;
        }
        await queue.RescheduleAsync(e, _owner, due, attempts, throttles);
    }

    /// <summary>The event is given up: its record to the on-failure destination, its payload to the dead-letter target.</summary>
    private async Task FailAsync(AsyncEvent e, FunctionEventInvokeConfig? config, Storage.FunctionRecord? record, string recordArn,
        string condition, int invokeCount, (string, string?, byte[])? response)
    {
        metrics.AsyncDropped(e.AccountId, e.Name, condition == DestinationRecord.EventAgeExceeded ? "event_age_exceeded" : "retries_exhausted");
        logger.LogInformation("Async event {RequestId} of {Function} failed: {Condition} after {Count} invocation(s)", e.Id, e.Name, condition, invokeCount);
        List<NewAsyncEvent> followUps = [];
        if (DestinationRecord.OnFailure(config) is { } target)
        {
            var payload = DestinationRecord.Create(e, recordArn, condition, invokeCount, response, DateTimeOffset.UtcNow);
            AddFunctionTarget(followUps, e, target, payload, "on-failure destination");
        }
        if (record is null)
        {
            try
            {
                record = (await invoker.ResolveAsync(e.AccountId, e.Name, e.Qualifier)).Primary;
            }
            catch (LambdaException)
            {
            }
        }
        if (record?.Config.DeadLetterConfig?.TargetArn is { Length: > 0 } deadLetter)
        {
            AddFunctionTarget(followUps, e, deadLetter, e.Payload, "dead-letter target");
        }
        await queue.CompleteAsync(e, _owner, followUps);
    }

    private void AddFunctionTarget(List<NewAsyncEvent> followUps, AsyncEvent e, string arn, byte[] payload, string what)
    {
        if (DestinationRecord.ParseFunctionArn(arn) is { } f && f.Account == e.AccountId)
        {
            followUps.Add(new NewAsyncEvent(Guid.NewGuid().ToString(), f.Account, f.Name, f.Qualifier, payload));
            return;
        }
        logger.LogWarning("Async event {RequestId} of {Function}: {What} {Arn} is not a function of the account; Grid delivers only to functions",
            e.Id, e.Name, what, arn);
        metrics.AsyncDropped(e.AccountId, e.Name, "unsupported_destination");
    }

    /// <summary>1 s, 2 s, 4 s ... up to 5 minutes, with jitter so throttled events do not return in step.</summary>
    private static TimeSpan SystemDelay(int throttles)
    {
        var seconds = Math.Min(Math.Pow(2, Math.Min(throttles, 16)), MaxSystemRetryDelay.TotalSeconds);
        return TimeSpan.FromSeconds(seconds * (0.75 + Random.Shared.NextDouble() * 0.5));
    }
}
