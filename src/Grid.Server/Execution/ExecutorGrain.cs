using System.Globalization;
using Grid.Server.Hosting;
using Grid.Server.Telemetry;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Grid.Server.Execution;

/// <summary>
/// A function version's executor (see <see cref="IExecutorGrain"/>). Orleans adds activations while all are busy, which is
/// how a function scales out on a node: an activation runs one invocation at a time, on an environment from the node's
/// <see cref="WarmPool"/> or a new one (a cold start), and hands it back to the pool afterwards. Provisioned environments
/// stay with their activation and do not idle out.
/// </summary>
[StatelessWorker(MaxInstancesPerNode, removeIdleWorkers: false)]
[Orleans.Dashboard.NoProfiling] // the hot path: GridMetrics measures invocations, the dashboard's profiler would add a filter per call
public sealed class ExecutorGrain(EnvironmentFactory factory, InvocationRunner runner, WarmPool pool, InvocationLogStore logStore,
    ProvisionedRegistry provisioned, IOptions<GridOptions> options, ILogger<ExecutorGrain> logger) : Grain, IExecutorGrain
{
    /// <summary>Upper bound of warm instances of one function version on one node (concurrency controls cap below it).</summary>
    public const int MaxInstancesPerNode = 1000;

    private ExecutionEnvironment? _environment;
    private DateTime _lastUsed = DateTime.UtcNow;
    private Storage.FunctionRecord? _provisioned; // set while this activation is one of its node's provisioned environments

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var idle = options.Value.IdleEnvironmentTimeout;
        var period = TimeSpan.FromMilliseconds(Math.Clamp(idle.TotalMilliseconds / 4, 100, 30_000));
        this.RegisterGrainTimer(ReleaseIfIdle, new GrainTimerCreationOptions(period, period) { Interleave = false });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_provisioned is not null) provisioned.Leave(InvokeRequest.ExecutorKey(_provisioned));
        _provisioned = null;
        if (_environment is not null)
        {
            logger.LogInformation("Ending environment {Id} of {Function}: {Reason}", _environment.Id, this.GetPrimaryKeyString(), reason);
            await _environment.DisposeAsync();
        }
        _environment = null;
    }

    async Task<InvokeResult> IExecutorGrain.Invoke(InvokeRequest request)
    {
        _lastUsed = DateTime.UtcNow;
        var key = InvokeRequest.ExecutorKey(request.Function);
        if (_provisioned is not null)
        {
            // A provisioned environment stays with its activation (replaced here if it ended).
            var (result, kept) = await runner.RunAsync(key, request, _environment);
            _environment = kept;
            _lastUsed = DateTime.UtcNow;
            return result;
        }
        // On demand: an environment returned to the pool since the caller looked, or a new one (a cold start); either way
        // it goes to the pool afterwards, where warm invocations rent it without coming through here.
        var (onDemand, keep) = await runner.RunAsync(key, request, pool.TryRent(key, out var idle) ? idle : null);
        if (keep is not null) pool.Return(key, keep);
        _lastUsed = DateTime.UtcNow;
        return onDemand;
    }

    private async Task DiscardEnvironmentAsync()
    {
        if (_environment is not null) await _environment.DisposeAsync();
        _environment = null;
    }

    async Task<bool> IExecutorGrain.Warm(Storage.FunctionRecord function)
    {
        if (_provisioned is not null) return false;
        if (!await StartProvisionedAsync(function)) return false;
        _provisioned = function;
        provisioned.Join(InvokeRequest.ExecutorKey(function));
        _lastUsed = DateTime.UtcNow;
        return true;
    }

    /// <summary>Starts (or keeps) the environment ahead of any invocation; its init output goes to the function's log.</summary>
    private async Task<bool> StartProvisionedAsync(Storage.FunctionRecord function)
    {
        if (_environment is { HasExited: false }) return true;
        await DiscardEnvironmentAsync();
        try
        {
            var (environment, init) = await factory.StartAsync(function, "provisioned-concurrency");
            var output = environment.Logs.TakePhase();
            var status = init.Kind == ReplyKind.Ready ? "" : "\tStatus: error";
            logStore.Append(function.AccountId, function.Name, "init-" + environment.Id,
                $"{output}INIT_REPORT Init Duration: {environment.InitDurationMs.ToString("0.00", CultureInfo.InvariantCulture)} ms\tPhase: init{status}\n");
            if (init.Kind != ReplyKind.Ready)
            {
                await environment.DisposeAsync();
                return false;
            }
            _environment = environment;
            return true;
        }
        catch (Exception e) when (e is InitFailureException or Api.LambdaException)
        {
            logger.LogWarning("Provisioned environment of {Function} did not start: {Message}", function.Key, e.Message);
            return false;
        }
    }

    private async Task ReleaseIfIdle(CancellationToken ct)
    {
        if (_provisioned is not null)
        {
            var key = InvokeRequest.ExecutorKey(_provisioned);
            if (!provisioned.LeaveIfSurplus(key))
            {
                // Still wanted: stay warm, and replace an environment that ended (crash, timeout).
                await StartProvisionedAsync(_provisioned);
                return;
            }
            _provisioned = null; // now an on-demand environment: to the pool, where it idles out like any other
            if (_environment is not null) pool.Return(key, _environment);
            _environment = null;
        }
        if (DateTime.UtcNow - _lastUsed < options.Value.IdleEnvironmentTimeout) return;
        if (_environment is not null)
        {
            logger.LogDebug("Releasing idle environment {Id}", _environment.Id);
            await DiscardEnvironmentAsync();
        }
        DeactivateOnIdle();
    }
}
