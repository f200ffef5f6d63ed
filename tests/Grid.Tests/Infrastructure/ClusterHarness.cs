namespace Grid.Tests.Infrastructure;

/// <summary>
/// A three-node cluster on one private PostgreSQL, for multi-node tests: real node processes, each on its own ports and
/// data directory. Nodes are addressed by index; a node can be killed (SIGKILL), drained (SIGTERM) and restarted (a new
/// process, new ports, the same data directory). <see cref="EndpointsFile"/> always lists the current HTTP endpoints,
/// so load generators in other processes follow restarts.
/// </summary>
public class ClusterHarness : ClusterNodeFixture
{
    private readonly List<GridNode> _nodes = [];

    public const int Size = 3;

    public IReadOnlyList<GridNode> Nodes => _nodes;

    public string EndpointsFile => Path.Combine(Root, "endpoints.json");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _nodes.Add(Node);
        for (var i = 1; i < Size; i++) _nodes.Add(await StartNodeAsync($"node{i + 1}"));
        WriteEndpoints();
    }

    /// <summary>SIGKILL, as a crashed VM: nothing is cleaned up.</summary>
    public async Task KillAsync(int index)
    {
        await _nodes[index].StopAsync(kill: true);
    }

    /// <summary>SIGTERM, as <c>systemctl stop</c>: the node drains and leaves; returns how long that took.</summary>
    public async Task<TimeSpan> DrainAsync(int index)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await _nodes[index].StopAsync();
        return clock.Elapsed;
    }

    /// <summary>Starts a stopped node again on its data directory (new ports, as after a reboot).</summary>
    public async Task<GridNode> RestartAsync(int index)
    {
        var old = _nodes[index];
        await old.DisposeAsync();
        _nodes[index] = await StartNodeAsync(Path.GetFileName(old.DataDirectory));
        WriteEndpoints();
        return _nodes[index];
    }

    /// <summary>Orleans status of a node's silo in the membership table (3 = active, 5/6 = shutting down/dead), or null.</summary>
    public async Task<long?> SiloStatusAsync(GridNode node)
    {
        var status = await CountAsync(
            $"SELECT coalesce(max(Status), -1) FROM OrleansMembershipTable WHERE Port = {node.SiloPort} AND Generation = (SELECT max(Generation) FROM OrleansMembershipTable WHERE Port = {node.SiloPort})");
        return status < 0 ? null : status;
    }

    /// <summary>Written to a temporary file and renamed, so a reader never sees it half-written.</summary>
    private void WriteEndpoints()
    {
        var temporary = EndpointsFile + ".tmp";
        File.WriteAllText(temporary, System.Text.Json.JsonSerializer.Serialize(_nodes.Select(n => n.Endpoint).ToArray()));
        File.Move(temporary, EndpointsFile, overwrite: true);
    }

    public override async Task DisposeAsync()
    {
        foreach (var node in _nodes.Skip(1)) await node.DisposeAsync();
        await base.DisposeAsync();
    }
}
