using System.Text.Json.Serialization;
using Grid.Server.Control;
using Grid.Server.Hosting;
using Orleans.Runtime;

namespace Grid.Server.Api;

/// <summary>
/// GET /grid/2026-11-01/nodes: the cluster's nodes from Orleans membership (joining, active, shutting down, dead in the last
/// hour) with the load each reported in the last seconds: environments, running requests, CPU and memory. SigV4 like the Lambda API.
/// </summary>
public static class NodeEndpoints
{
    private static readonly TimeSpan RecentlyDead = TimeSpan.FromHours(1);
    private static readonly TimeSpan FreshLoad = TimeSpan.FromSeconds(5);

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/grid/2026-11-01/nodes", Get);

    private static async Task<IResult> Get(IGrainFactory grains, ILocalSiloDetails self, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        var loads = (await grains.GetGrain<IClusterLoadGrain>(0).List()).ToDictionary(l => l.SiloAddress, StringComparer.Ordinal);
        var nodes = hosts
            .Where(h => h.Status != SiloStatus.Dead || now - new DateTimeOffset(h.IAmAliveTime, TimeSpan.Zero) < RecentlyDead)
            .OrderBy(h => h.StartTime)
            .Select(h =>
            {
                var address = h.SiloAddress.ToParsableString();
                var load = loads.GetValueOrDefault(address) is { } l && now - l.ReportedAt < FreshLoad && h.Status == SiloStatus.Active ? l : null;
                var state = h.Status switch
                {
                    SiloStatus.Active when load?.Draining == true => "draining",
                    SiloStatus.Active => "active",
                    SiloStatus.Joining or SiloStatus.Created => "joining",
                    SiloStatus.ShuttingDown or SiloStatus.Stopping => "stopping",
                    _ => "dead",
                };
                return new NodeInfo(address, h.SiloName, load?.HttpEndpoint, state, h.SiloAddress.Equals(self.SiloAddress),
                    Utc(h.StartTime), Utc(h.IAmAliveTime),
                    load is null ? null : new NodeLoadInfo(load.Environments, load.BusyEnvironments, load.InFlightRequests, load.CpuPercent,
                        load.MemoryBytes / (1024 * 1024), Utc(load.ReportedAt.UtcDateTime)));
            })
            .ToList();
        return ApiContext.Json(new NodesResponse(nodes), NodesJsonContext.Default.NodesResponse);
    }

    private static string Utc(DateTime at) => Model.Timestamps.FormatIso(new DateTimeOffset(at, TimeSpan.Zero));
}

public sealed record NodesResponse([property: JsonPropertyName("nodes")] IReadOnlyList<NodeInfo> Nodes);

public sealed record NodeInfo(
    [property: JsonPropertyName("siloAddress")] string SiloAddress,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("endpoint")] string? Endpoint,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("self")] bool Self,
    [property: JsonPropertyName("startedAt")] string StartedAt,
    [property: JsonPropertyName("lastHeartbeat")] string LastHeartbeat,
    [property: JsonPropertyName("load")] NodeLoadInfo? Load);

public sealed record NodeLoadInfo(
    [property: JsonPropertyName("environments")] int Environments,
    [property: JsonPropertyName("busyEnvironments")] int BusyEnvironments,
    [property: JsonPropertyName("inFlightRequests")] int InFlightRequests,
    [property: JsonPropertyName("cpuPercent")] double CpuPercent,
    [property: JsonPropertyName("memoryMb")] long MemoryMb,
    [property: JsonPropertyName("reportedAt")] string ReportedAt);

[JsonSerializable(typeof(NodesResponse))]
public sealed partial class NodesJsonContext : JsonSerializerContext;
