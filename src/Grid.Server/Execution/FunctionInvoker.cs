using Grid.Server.Api;
using Grid.Server.Control;
using Grid.Server.Hosting;
using Grid.Server.Storage;
using Grid.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Grid.Server.Execution;

/// <summary>
/// The one way to run a function on this node, for the Invoke API and for Grid's own triggers (async events):
/// resolve the qualifier from the node-local cache, then call a local executor activation.
/// </summary>
public sealed class FunctionInvoker(FunctionCache cache, IGrainFactory grains, ConcurrencyLimiter limiter, GridMetrics metrics,
    IOptions<GridOptions> options)
{
    private readonly bool _enforce = options.Value.EnforceConcurrency;

    /// <summary>What invoking the qualifier runs; a Lambda-shaped 404 when the function or qualifier does not exist.</summary>
    public async ValueTask<InvokeTarget> ResolveAsync(string account, string name, string? qualifier) =>
        await cache.ResolveAsync(account, name, qualifier)
        ?? throw Errors.FunctionNotFound(Arns.Function(options.Value.Region, account, name, qualifier));

    /// <summary>
    /// Runs one invocation of <paramref name="record"/> on a concurrency slot and returns what the runtime answered;
    /// Lambda's 429 TooManyRequestsException when the function's or the account's concurrency is exhausted.
    /// </summary>
    public async Task<InvokeResult> InvokeAsync(FunctionRecord record, InvokeRequest request)
    {
        try
        {
            var executor = grains.GetGrain<IExecutorGrain>(InvokeRequest.ExecutorKey(record));
            if (!_enforce) return await executor.Invoke(request);
            ConcurrencyLimiter.Slot slot;
            using (GridTracing.Source.StartActivity("admission")) // null, and free, unless traces are exported
            {
                slot = await limiter.EnterAsync(record.AccountId, record.Name);
            }
            using (slot) return await executor.Invoke(request);
        }
        catch (LambdaException e) when (e.ErrorType == "TooManyRequestsException")
        {
            metrics.Throttled(record.AccountId, record.Name, record.Version);
            throw;
        }
    }

    public string InvokedArn(string account, string name, string? qualifier) => Arns.Function(options.Value.Region, account, name, qualifier);
}
