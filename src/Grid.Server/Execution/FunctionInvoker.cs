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
    WarmPool pool, InvocationRunner runner, ProvisionedRegistry provisioned, IOptions<GridOptions> options)
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
            if (!_enforce) return await RunAsync(record, request);
            ConcurrencyLimiter.Slot slot;
            using (GridTracing.Source.StartActivity("admission")) // null, and free, unless traces are exported
            {
                slot = await limiter.EnterAsync(record.AccountId, record.Name);
            }
            using (slot) return await RunAsync(record, request);
        }
        catch (LambdaException e) when (e.ErrorType == "TooManyRequestsException")
        {
            metrics.Throttled(record.AccountId, record.Name, record.Version);
            throw;
        }
    }

    private async Task<InvokeResult> RunAsync(FunctionRecord record, InvokeRequest request)
    {
        var key = InvokeRequest.ExecutorKey(record);
        // With provisioned concurrency the grain path comes first: Orleans hands the call to an idle provisioned
        // activation before any on-demand environment, as Lambda uses provisioned environments before spilling over.
        if (provisioned.Joined(key) == 0 && pool.TryRent(key, out var warm))
        {
            // Warm: run on this thread, without a grain message or a thread hop; the environment goes back to the pool.
            var (result, keep) = await runner.RunAsync(key, request, warm);
            if (keep is not null) pool.Return(key, keep);
            return result;
        }
        // None idle: an executor activation starts one (or takes one returned meanwhile). Orleans adds activations while
        // all are busy, so N concurrent invocations get N environments.
        return await grains.GetGrain<IExecutorGrain>(key).Invoke(request);
    }

    public string InvokedArn(string account, string name, string? qualifier) => Arns.Function(options.Value.Region, account, name, qualifier);
}
