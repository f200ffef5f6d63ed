using System.Diagnostics;
using Grid.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Grid.Tests.StreamDelivery;

/// <summary>Three nodes on one PostgreSQL, and the sink.</summary>
public sealed class DeliveryClusterFixture : ClusterHarness
{
    public DeliveryClusterFixture() => Sink = Own(new RecordSink());

    public RecordSink Sink { get; }
}

/// <summary>
/// THE kill test of issue 6: 100,000 records put with put_records (500 per call) over a 3-node cluster while one node is
/// killed with SIGKILL; every record is processed at least once, in order per shard (replays after the failover allowed).
/// </summary>
public sealed class DeliveryKillTests(DeliveryClusterFixture cluster, ITestOutputHelper output) : IClassFixture<DeliveryClusterFixture>
{
    private const int Records = 100_000;

    [Fact]
    public async Task Every_record_is_processed_in_order_per_shard_when_a_node_is_killed_during_the_puts()
    {
        var clock = Stopwatch.StartNew();
        var (stream, _) = await Scenario.CreateFunctionStreamAndMappingAsync(cluster, cluster.Sink, shards: 4);

        var puts = Scenario.PutAsync(cluster.Boto, stream, Records, keys: 1000, threads: 4, endpointsFile: cluster.EndpointsFile);
        while (cluster.Sink.Distinct < Records / 5)
        {
            Assert.False(puts.IsCompleted && cluster.Sink.Distinct == 0, "the puts finished and nothing was processed");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"only {cluster.Sink.Distinct} records processed in 2 minutes");
            await Task.Delay(50);
        }
        var processedAtKill = cluster.Sink.Distinct;
        await cluster.KillAsync(1);
        output.WriteLine($"killed node 2 at {clock.Elapsed.TotalSeconds:0.0} s with {processedAtKill} records processed");

        output.WriteLine($"put: {(await puts)?.ToJsonString()} done at {clock.Elapsed.TotalSeconds:0.0} s");
        await cluster.Sink.WaitForAsync(Records, TimeSpan.FromMinutes(3) - clock.Elapsed);
        output.WriteLine($"all processed at {clock.Elapsed.TotalSeconds:0.0} s; {cluster.Sink.Invocations} invocations, "
            + $"{cluster.Sink.ByShard().Values.Sum(l => l.Count) - Records} records processed more than once");

        Scenario.AssertInOrderPerShard(cluster.Sink, await Scenario.LogRecordsAsync(cluster, stream), Records);
    }
}
