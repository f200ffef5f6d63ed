using System.Text.Json.Serialization;
using Grid.Server.Execution;
using Grid.Server.Hosting;
using Grid.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>
/// This node's live view for the caller's account: GET /grid/2026-11-01/stats (SigV4 like the Lambda API), read by
/// `grid top`. Counters are cumulative since the node started (a viewer computes rates from two samples);
/// environments are counted now: warmEnvironments are the initialised ones (idle or busy), busyEnvironments those
/// running an invocation; the top-level environment counts cover the whole node (every account), as the node's load.
/// </summary>
public static class StatsEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // Created with the endpoints, not on the first request: the counters must run from the node's start.
        var stats = new FunctionStats();
        app.ServiceProvider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(stats.Dispose);
        var started = DateTimeOffset.UtcNow;
        app.MapGet("/grid/2026-11-01/stats", (HttpContext http, EnvironmentFactory environments, IOptions<GridOptions> options) =>
            Get(http, stats, started, environments, options.Value));
    }

    private static IResult Get(HttpContext http, FunctionStats stats, DateTimeOffset started, EnvironmentFactory environments, GridOptions options)
    {
        var account = http.Caller().AccountId;
        var now = DateTimeOffset.UtcNow;
        var live = environments.Live.Select(e => (e.Function.AccountId, e.Function.Name, e.State)).ToList();
        var busy = live.Count(e => e.State == "busy");
        var idle = live.Count(e => e.State == "idle");
        var warm = live.Where(e => e.AccountId == account && e.State != "starting").GroupBy(e => e.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (Warm: g.Count(), Busy: g.Count(e => e.State == "busy")), StringComparer.Ordinal);
        var counted = stats.ForAccount(account).ToDictionary(f => f.Function, f => f.Counters, StringComparer.Ordinal);
        var functions = counted.Keys.Union(warm.Keys).Order(StringComparer.Ordinal).Select(name =>
        {
            var c = counted.GetValueOrDefault(name);
            var w = warm.GetValueOrDefault(name);
            return new FunctionStatsLine(name, c?.Invocations ?? 0, c?.Errors ?? 0, c?.Throttles ?? 0, c?.ColdStarts ?? 0,
                c?.ConcurrentExecutions ?? 0, w.Warm, w.Busy, Math.Round(c?.DurationMsTotal ?? 0, 3));
        }).ToList();
        var node = $"{options.AdvertisedAddress ?? options.ListenAddress}:{options.Port}";
        var body = new NodeStatsResponse(node, Model.Timestamps.FormatIso(now), Math.Round((now - started).TotalSeconds, 1),
            new EnvironmentCountsLine(live.Count, busy, idle), functions);
        return ApiContext.Json(body, StatsJsonContext.Default.NodeStatsResponse);
    }
}

public sealed record EnvironmentCountsLine(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("busy")] int Busy,
    [property: JsonPropertyName("idle")] int Idle);

public sealed record FunctionStatsLine(
    [property: JsonPropertyName("functionName")] string FunctionName,
    [property: JsonPropertyName("invocations")] long Invocations,
    [property: JsonPropertyName("errors")] long Errors,
    [property: JsonPropertyName("throttles")] long Throttles,
    [property: JsonPropertyName("coldStarts")] long ColdStarts,
    [property: JsonPropertyName("concurrentExecutions")] int ConcurrentExecutions,
    [property: JsonPropertyName("warmEnvironments")] int WarmEnvironments,
    [property: JsonPropertyName("busyEnvironments")] int BusyEnvironments,
    [property: JsonPropertyName("durationMsTotal")] double DurationMsTotal);

public sealed record NodeStatsResponse(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("uptimeSeconds")] double UptimeSeconds,
    [property: JsonPropertyName("environments")] EnvironmentCountsLine Environments,
    [property: JsonPropertyName("functions")] List<FunctionStatsLine> Functions);

[JsonSerializable(typeof(NodeStatsResponse))]
public sealed partial class StatsJsonContext : JsonSerializerContext;
