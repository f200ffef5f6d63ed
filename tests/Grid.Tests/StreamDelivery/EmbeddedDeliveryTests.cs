using Grid.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Grid.Tests.StreamDelivery;

/// <summary>An embedded node and the sink its test functions report to.</summary>
public sealed class DeliveryFixture : EmbeddedNodeFixture
{
    public DeliveryFixture() => Sink = Own(new RecordSink());

    public RecordSink Sink { get; }
}

/// <summary>Event source mapping delivery on one embedded node: at least once, in order per shard, checkpointed.</summary>
public sealed class EmbeddedDeliveryTests(DeliveryFixture fixture, ITestOutputHelper output) : IClassFixture<DeliveryFixture>
{
    private const int Records = 20_000;

    [Fact]
    public async Task Twenty_thousand_records_reach_the_function_at_least_once_and_in_order_per_shard()
    {
        var (stream, mapping) = await Scenario.CreateFunctionStreamAndMappingAsync(fixture, fixture.Sink, shards: 4);

        var put = await Scenario.PutAsync(fixture.Boto, stream, Records, keys: 97);
        output.WriteLine($"put: {put?.ToJsonString()}");
        await fixture.Sink.WaitForAsync(Records, TimeSpan.FromMinutes(2));

        Scenario.AssertInOrderPerShard(fixture.Sink, await Scenario.LogRecordsAsync(fixture, stream), Records);
        Assert.True(fixture.Sink.Invocations <= Records / 100 * 3, $"{fixture.Sink.Invocations} invocations for {Records} records with BatchSize 100");
        // Every shard's checkpoint reaches its head once the last batch is finished.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await fixture.CountAsync($"SELECT coalesce(sum(seq), 0) FROM grid_esm_checkpoints WHERE mapping_uuid = '{mapping}'") < Records)
        {
            Assert.True(DateTime.UtcNow < deadline, "the checkpoints did not reach the shard heads");
            await Task.Delay(100);
        }
        output.WriteLine($"{fixture.Sink.Invocations} invocations");

        // The node's metrics count the records in and through the mapping, and how old each batch was (IteratorAge).
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(fixture.Node.Endpoint + "/metrics");
        Assert.Equal(Records, Observability.PromQl.SampleValue(metrics, "grid_stream_incoming_records_total", $"stream=\"{stream}\""));
        Assert.Equal(Records, Observability.PromQl.SampleValue(metrics, "grid_esm_records_total", $"mapping=\"{mapping}\""));
        Assert.True(Observability.PromQl.SampleValue(metrics, "grid_esm_iterator_age_seconds_count", $"mapping=\"{mapping}\"") >= Records / 100,
            "every batch records its iterator age");
    }

    [Fact]
    public async Task Parallelization_keeps_order_per_key_and_the_batching_window_fills_batches()
    {
        await using var sink = new RecordSink();
        var (stream, _) = await Scenario.CreateFunctionStreamAndMappingAsync(fixture, sink, shards: 1, batchSize: 50, windowSeconds: 2, parallelization: 4);

        // 2,000 records over 40 keys in 4 calls: the 2-second window lets full batches (50 per lane, 4 lanes) build up.
        await Scenario.PutAsync(fixture.Boto, stream, 2000, keys: 40, threads: 1);
        await sink.WaitForAsync(2000, TimeSpan.FromMinutes(1));

        Scenario.AssertInOrderPerKey(sink);
        Assert.Equal(2000, sink.Distinct);
        Assert.True(sink.Invocations <= 2000 / 50 + 8, $"{sink.Invocations} invocations: the batching window did not fill batches of 50");
    }
}
