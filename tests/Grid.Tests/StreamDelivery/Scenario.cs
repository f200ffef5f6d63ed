using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.StreamDelivery;

/// <summary>What the delivery tests do with the real clients: a Kinesis stream, a mapping to the sink function, puts, and the order check.</summary>
public static class Scenario
{
    /// <summary>boto3 Kinesis client setup, prepended to snippets (the Boto3 preamble has the Lambda client).</summary>
    public const string KinesisClient = """
        def make_kinesis(endpoint=ENDPOINT, timeout=60):
            return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                aws_access_key_id=CREDS.access_key, aws_secret_access_key=CREDS.secret_key,
                config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=timeout, max_pool_connections=32))
        kinesis = make_kinesis()

        """;

    /// <summary>
    /// Deploys the function that reports to <paramref name="sink"/>, then creates a stream with <paramref name="shards"/>
    /// shards and a TRIM_HORIZON mapping of it to the function; returns the stream's name and the mapping's UUID.
    /// </summary>
    public static async Task<(string Stream, string Mapping)> CreateFunctionStreamAndMappingAsync(NodeFixture fixture, RecordSink sink, int shards,
        int batchSize = 100, int windowSeconds = 0, int parallelization = 1)
    {
        var function = await DeliveryFunctions.DeployAsync(fixture.Cli, sink.Url);
        var stream = NodeFixture.UniqueName("st");
        var result = await fixture.Boto.RunAsync(KinesisClient + $$"""
            import time
            kinesis.create_stream(StreamName={{Boto3.Literal(stream)}}, ShardCount={{shards}})
            for _ in range(100):
                summary = kinesis.describe_stream_summary(StreamName={{Boto3.Literal(stream)}})["StreamDescriptionSummary"]
                if summary["StreamStatus"] == "ACTIVE":
                    break
                time.sleep(0.1)
            mapping = client.create_event_source_mapping(EventSourceArn=summary["StreamARN"], FunctionName={{Boto3.Literal(function)}},
                StartingPosition="TRIM_HORIZON", BatchSize={{batchSize}}, MaximumBatchingWindowInSeconds={{windowSeconds}},
                ParallelizationFactor={{parallelization}})
            out({"uuid": mapping["UUID"]})
            """);
        return (stream, result!["uuid"]!.GetValue<string>());
    }

    /// <summary>
    /// Puts <paramref name="count"/> records (data "r{i}", partition key "k{i % keys}") with put_records, 500 per call, from
    /// <paramref name="threads"/> threads over the nodes listed in <paramref name="endpointsFile"/> (or the boto endpoint).
    /// Entries a call did not acknowledge, and calls that failed (a node died), are sent again through the next node: every
    /// record ends up acknowledged exactly as a careful producer would do it. Returns the snippet's report.
    /// </summary>
    public static Task<JsonNode?> PutAsync(Boto3 boto, string stream, int count, int keys, int threads = 4, string? endpointsFile = null) =>
        boto.RunAsync(KinesisClient + $$"""
            import concurrent.futures, time
            endpoints_file = {{(endpointsFile is null ? "None" : Boto3.Literal(endpointsFile))}}
            def endpoints():
                return json.load(open(endpoints_file)) if endpoints_file else [ENDPOINT]
            clients = {}
            def client_for(endpoint):
                if endpoint not in clients:
                    clients[endpoint] = make_kinesis(endpoint, timeout=20)
                return clients[endpoint]
            stats = {"retriedEntries": 0, "failedCalls": 0}
            def put(start):
                pending = [{"Data": ("r%d" % i).encode(), "PartitionKey": "k%d" % (i % {{keys}})} for i in range(start, min(start + 500, {{count}}))]
                attempt = 0
                while pending:
                    nodes = endpoints()
                    endpoint = nodes[(start // 500 + attempt) % len(nodes)]
                    attempt += 1
                    if attempt > 200:
                        raise AssertionError("records not acknowledged after 200 attempts")
                    try:
                        r = client_for(endpoint).put_records(StreamName={{Boto3.Literal(stream)}}, Records=pending)
                    except Exception:
                        stats["failedCalls"] += 1
                        time.sleep(0.2)
                        continue
                    pending = [entry for entry, result in zip(pending, r["Records"]) if "ErrorCode" in result]
                    stats["retriedEntries"] += len(pending)
            started = time.time()
            with concurrent.futures.ThreadPoolExecutor({{threads}}) as pool:
                list(pool.map(put, range(0, {{count}}, 500)))
            stats["seconds"] = time.time() - started
            out(stats)
            """);

    /// <summary>
    /// Per shard, in the order the function saw them: a record is never processed before every earlier record of its shard
    /// was processed at least once. Replays (a seq at or below the highest seen, after a failover) are allowed. Every record
    /// in the log (<paramref name="logRecords"/>, the sum of the shard heads: more than were put when a producer re-sent a
    /// call whose answer it lost) and every record put (<paramref name="putRecords"/>, by data) was processed.
    /// </summary>
    public static void AssertInOrderPerShard(RecordSink sink, long logRecords, int putRecords)
    {
        var byShard = sink.ByShard();
        var distinct = 0;
        foreach (var (shard, processed) in byShard)
        {
            long highest = 0;
            var seen = new HashSet<long>();
            foreach (var p in processed)
            {
                Assert.True(p.Seq <= highest + 1, $"shard {shard}: seq {p.Seq} was processed before seq {highest + 1}");
                highest = Math.Max(highest, p.Seq);
                seen.Add(p.Seq);
            }
            Assert.Equal(highest, seen.Count); // 1..highest, each at least once
            distinct += seen.Count;
        }
        Assert.Equal(logRecords, distinct);
        Assert.Equal(putRecords, sink.Distinct);
    }

    /// <summary>How many records the stream's log holds (the sum of its shard heads).</summary>
    public static Task<long> LogRecordsAsync(NodeFixture fixture, string stream) => fixture.CountAsync(
        $"SELECT coalesce(sum(s.head_seq), 0) FROM grid_stream_shards s JOIN grid_streams t ON t.id = s.stream_id WHERE t.name = '{stream}'");

    /// <summary>
    /// Per partition key, in the order the function saw them: a record is never processed before every earlier record of its
    /// key (lanes of ParallelizationFactor run concurrently, so only the order within a key is promised).
    /// </summary>
    public static void AssertInOrderPerKey(RecordSink sink)
    {
        foreach (var shard in sink.ByShard().Values)
        {
            foreach (var key in shard.GroupBy(p => p.PartitionKey))
            {
                var order = key.Select(p => p.Seq).Distinct().Order().ToList(); // the key's records in log order
                var rank = order.Select((seq, i) => (seq, i)).ToDictionary(x => x.seq, x => x.i);
                var highest = -1;
                foreach (var p in key)
                {
                    Assert.True(rank[p.Seq] <= highest + 1, $"key {key.Key}: seq {p.Seq} was processed before seq {order[highest + 1]}");
                    highest = Math.Max(highest, rank[p.Seq]);
                }
            }
        }
    }
}
