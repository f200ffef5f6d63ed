using System.Diagnostics;
using Grid.Server.Control;
using Grid.Server.Execution;
using Microsoft.Extensions.Options;

namespace Grid.Server.Hosting;

/// <summary>Reports this node's load to the cluster's <see cref="IClusterLoadGrain"/> once a second (for the nodes API).</summary>
public sealed class NodeLoadReporter(
    IGrainFactory grains, ILocalSiloDetails silo, EnvironmentFactory environments, NodeDrain drain, IOptions<GridOptions> options,
    TimeProvider time, ILogger<NodeLoadReporter> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var board = grains.GetGrain<IClusterLoadGrain>(0);
        var process = Process.GetCurrentProcess();
        var lastCpu = process.TotalProcessorTime;
        var lastAt = Stopwatch.GetTimestamp();
        var endpoint = $"{options.Value.AdvertisedAddress ?? silo.SiloAddress.Endpoint.Address.ToString()}:{options.Value.Port}";
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (drain.CutOff) return; // the silo stops next; membership marks this node as leaving
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var elapsed = Stopwatch.GetElapsedTime(lastAt);
                lastAt = Stopwatch.GetTimestamp();
                var cpuPercent = (cpu - lastCpu).TotalMilliseconds / elapsed.TotalMilliseconds / Environment.ProcessorCount * 100;
                lastCpu = cpu;
                var live = environments.Live;
                var load = new NodeLoad(silo.SiloAddress.ToParsableString(), endpoint, drain.Draining, live.Count,
                    live.Count(e => e.State == "busy"), drain.InFlight, Math.Round(cpuPercent, 1), process.WorkingSet64, time.GetUtcNow());
                try
                {
                    await board.Report(load);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogDebug(e, "Reporting node load failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
