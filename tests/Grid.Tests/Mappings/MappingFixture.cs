using System.Text.Json.Nodes;
using Grid.Tests.Async;
using Grid.Tests.Infrastructure;
using Grid.Tests.Streams;

namespace Grid.Tests.Mappings;

/// <summary>An embedded node, a callback listener for the test functions, and stream helpers over the real clients.</summary>
public sealed class MappingFixture : EmbeddedNodeFixture
{
    public MappingFixture() => Listener = Own(new CallbackListener());

    public CallbackListener Listener { get; }

    /// <summary>Creates a stream with the AWS CLI, waits until it is ACTIVE, and returns its ARN.</summary>
    public async Task<string> CreateStreamAsync(string name, int shards = 1)
    {
        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", shards.ToString());
        for (var i = 0; ; i++)
        {
            var summary = (await Cli.OkAsync("kinesis", "describe-stream-summary", "--stream-name", name))["StreamDescriptionSummary"]!;
            if ((string)summary["StreamStatus"]! == "ACTIVE" || i > 50) return (string)summary["StreamARN"]!;
            await Task.Delay(100);
        }
    }

    /// <summary>Puts records (data, partition key) in order with boto3 Kinesis; returns each one's shard id and sequence number.</summary>
    public async Task<List<(string ShardId, string Seq)>> PutAsync(string stream, params (string Data, string Key)[] records)
    {
        var items = new JsonArray([.. records.Select(r => (JsonNode)new JsonArray(r.Data, r.Key))]);
        var result = await Boto.KinesisAsync($$"""
            results = []
            for data, key in json.loads({{Boto3.Literal(items.ToJsonString())}}):
                r = kinesis.put_record(StreamName={{Boto3.Literal(stream)}}, Data=data.encode(), PartitionKey=key)
                results.append([r["ShardId"], r["SequenceNumber"]])
            out(results)
            """);
        return [.. result!.AsArray().Select(r => ((string)r![0]!, (string)r[1]!))];
    }
}
