namespace Grid.Server.Control;

/// <summary>
/// How many provisioned environments of one version or alias are warm cluster-wide (key "account/name/qualifier"):
/// every node reports its count each second; a report older than a few seconds no longer counts (a dead node's).
/// </summary>
public interface IProvisionedStatusGrain : IGrainWithStringKey
{
    Task Report(string node, int warm);

    Task<int> Allocated();
}

public sealed class ProvisionedStatusGrain(TimeProvider time) : Grain, IProvisionedStatusGrain
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(3);
    private readonly Dictionary<string, (int Warm, DateTimeOffset At)> _nodes = new(StringComparer.Ordinal);

    Task IProvisionedStatusGrain.Report(string node, int warm)
    {
        _nodes[node] = (warm, time.GetUtcNow());
        return Task.CompletedTask;
    }

    Task<int> IProvisionedStatusGrain.Allocated()
    {
        var since = time.GetUtcNow() - Fresh;
        return Task.FromResult(_nodes.Values.Where(n => n.At >= since).Sum(n => n.Warm));
    }
}
