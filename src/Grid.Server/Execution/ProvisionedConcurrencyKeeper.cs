using Grid.Server.Control;
using Grid.Server.Storage;
using Orleans.Runtime;

namespace Grid.Server.Execution;

/// <summary>
/// Keeps this node's share of every provisioned-concurrency setting warm: once a second it reads the settings,
/// splits each among the active nodes (sorted by address, so every node computes the same split), asks new executor
/// activations to warm up until its share is held, and reports what it holds to the setting's status grain.
/// </summary>
public sealed class ProvisionedConcurrencyKeeper(
    ConcurrencyStore store, FunctionInvoker invoker, ProvisionedRegistry registry, IGrainFactory grains,
    IClusterMembershipService membership, ILocalSiloDetails silo, ILogger<ProvisionedConcurrencyKeeper> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await KeepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Provisioned concurrency round failed");
            }
        }
    }

    private async Task KeepAsync(CancellationToken ct)
    {
        var settings = await store.AllProvisionedAsync(ct);
        var nodes = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress.ToString()).Order(StringComparer.Ordinal).ToList();
        var me = silo.SiloAddress.ToString();
        var index = Math.Max(0, nodes.IndexOf(me));
        var count = Math.Max(1, nodes.Count);
        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        var work = new List<Task>();
        foreach (var setting in settings)
        {
            InvokeTarget target;
            try
            {
                target = await invoker.ResolveAsync(setting.Account, setting.Name, setting.Qualifier);
            }
            catch (Api.LambdaException)
            {
                continue; // the version or alias is gone; deleting the function removes the setting too
            }
            var record = target.Primary;
            var key = InvokeRequest.ExecutorKey(record);
            var share = setting.Requested / count + (index < setting.Requested % count ? 1 : 0);
            wanted[key] = wanted.GetValueOrDefault(key) + share;
            work.Add(WarmAsync(record, key, setting, share));
        }
        foreach (var key in registry.Keys.Where(k => !wanted.ContainsKey(k))) registry.SetDesired(key, 0);
        foreach (var (key, desired) in wanted) registry.SetDesired(key, desired);
        await Task.WhenAll(work);
    }

    private async Task WarmAsync(FunctionRecord record, string key, ProvisionedSetting setting, int share)
    {
        var missing = share - registry.Joined(key);
        if (missing > 0)
        {
            // Concurrent calls: a busy activation makes Orleans add another, which is what warming N needs.
            var executor = grains.GetGrain<IExecutorGrain>(key);
            await Task.WhenAll(Enumerable.Range(0, Math.Min(missing, 64)).Select(_ => executor.Warm(record)));
        }
        await grains.GetGrain<IProvisionedStatusGrain>($"{setting.Account}/{setting.Name}/{setting.Qualifier}")
            .Report(silo.SiloAddress.ToString(), Math.Min(registry.Joined(key), share));
    }
}
