namespace Grid.Server.Control;

/// <summary>One node's load as it reported it (every second, by <see cref="Hosting.NodeLoadReporter"/>).</summary>
[GenerateSerializer, Immutable]
public sealed record NodeLoad(
    [property: Id(0)] string SiloAddress,
    [property: Id(1)] string HttpEndpoint,
    [property: Id(2)] bool Draining,
    [property: Id(3)] int Environments,
    [property: Id(4)] int BusyEnvironments,
    [property: Id(5)] int InFlightRequests,
    [property: Id(6)] double CpuPercent,
    [property: Id(7)] long MemoryBytes,
    [property: Id(8)] DateTimeOffset ReportedAt);

/// <summary>
/// The cluster's load board (one activation, key 0): every node reports each second, readers get the latest report per node.
/// In memory only: if its silo dies, it comes back elsewhere and is full again within a second.
/// </summary>
public interface IClusterLoadGrain : IGrainWithIntegerKey
{
    Task Report(NodeLoad load);

    Task<IReadOnlyList<NodeLoad>> List();
}

public sealed class ClusterLoadGrain : Grain, IClusterLoadGrain
{
    private readonly Dictionary<string, NodeLoad> _nodes = new(StringComparer.Ordinal);

    Task IClusterLoadGrain.Report(NodeLoad load)
    {
        _nodes[load.SiloAddress] = load;
        return Task.CompletedTask;
    }

    Task<IReadOnlyList<NodeLoad>> IClusterLoadGrain.List() => Task.FromResult<IReadOnlyList<NodeLoad>>([.. _nodes.Values]);
}
