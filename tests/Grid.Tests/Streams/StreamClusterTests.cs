using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Streams;

/// <summary>Cluster mode: records put through one node are durable in PostgreSQL and read, in order, through the other; so are tags and modes.</summary>
public sealed class StreamClusterTests(TwoNodeClusterFixture fixture) : IClassFixture<TwoNodeClusterFixture>
{
    [Fact]
    public async Task Records_put_on_one_node_are_read_on_the_other()
    {
        var name = NodeFixture.UniqueName("cluster");
        await fixture.Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", "2");
        var second = new Boto3(fixture.Second.Endpoint, fixture.Main);
        var put = await second.KinesisAsync($$"""
            name = {{Boto3.Literal(name)}}
            def produce(p):
                for call in range(4):
                    r = kinesis.put_records(StreamName=name, Records=[{"PartitionKey": f"p{p}", "Data": str(call * 500 + j).encode()} for j in range(500)])
                    assert r["FailedRecordCount"] == 0, r
            threads = [threading.Thread(target=produce, args=(p,)) for p in range(3)]
            for t in threads: t.start()
            for t in threads: t.join()
            it = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            out({"iterator": it})
            """);
        var read = await fixture.Boto.KinesisAsync($$"""
            name = {{Boto3.Literal(name)}}
            per_key, total = {}, 0
            for shard in kinesis.list_shards(StreamName=name)["Shards"]:
                for r in read_shard(name, shard["ShardId"]):
                    per_key.setdefault(r["PartitionKey"], []).append(int(r["Data"]))
                    total += 1
            # An iterator issued by the other node is accepted here (the signing key is cluster-wide).
            foreign = kinesis.get_records(ShardIterator={{Boto3.Literal((string)put!["iterator"]!)}}, Limit=5)
            on_first = len(read_shard(name, "shardId-000000000000"))
            out({"total": total, "ordered": all(v == list(range(2000)) for v in per_key.values()), "keys": len(per_key),
                 "foreignOk": len(foreign["Records"]) == min(5, on_first)})
            """);
        Assert.Equal(6000, (int?)read!["total"]);
        Assert.Equal(3, (int?)read["keys"]);
        Assert.True((bool)read["ordered"]!);
        Assert.True((bool)read["foreignOk"]!);
        Assert.Equal(6000, await fixture.CountAsync(
            $"SELECT count(*) FROM grid_stream_records r JOIN grid_streams s ON s.id = r.stream_id WHERE s.name = '{name}'"));
        await fixture.Cli.OkAsync("kinesis", "delete-stream", "--stream-name", name);
    }

    [Fact]
    public async Task Tags_and_the_stream_mode_set_on_one_node_are_seen_on_the_other()
    {
        var name = NodeFixture.UniqueName("ctags");
        var second = new AwsCli(fixture.Second.Endpoint, fixture.Main);
        await fixture.Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--stream-mode-details", "StreamMode=ON_DEMAND");
        await fixture.Cli.OkAsync("kinesis", "add-tags-to-stream", "--stream-name", name, "--tags", "team=core,env=dev");
        await second.OkAsync("kinesis", "add-tags-to-stream", "--stream-name", name, "--tags", "env=prod");
        var arn = (string)(await second.OkAsync("kinesis", "describe-stream-summary", "--stream-name", name))["StreamDescriptionSummary"]!["StreamARN"]!;
        await second.OkAsync("kinesis", "update-stream-mode", "--stream-arn", arn, "--stream-mode-details", "StreamMode=PROVISIONED");

        var tags = await fixture.Cli.OkAsync("kinesis", "list-tags-for-stream", "--stream-name", name);
        Assert.Equal("""[{"Key":"env","Value":"prod"},{"Key":"team","Value":"core"}]""", tags["Tags"]!.ToJsonString());
        var summary = (await fixture.Cli.OkAsync("kinesis", "describe-stream-summary", "--stream-name", name))["StreamDescriptionSummary"]!;
        Assert.Equal("PROVISIONED", (string?)summary["StreamModeDetails"]!["StreamMode"]);
        await second.OkAsync("kinesis", "delete-stream", "--stream-name", name);
        Assert.Equal(0, await fixture.CountAsync(
            $"SELECT count(*) FROM grid_stream_tags t WHERE NOT EXISTS (SELECT 1 FROM grid_streams s WHERE s.id = t.stream_id)"));
    }
}
