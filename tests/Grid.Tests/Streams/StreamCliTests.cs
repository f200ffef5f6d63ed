using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Streams;

/// <summary>
/// The stream API through the real AWS CLI (aws kinesis ... --endpoint-url) on an embedded node, tags and stream modes included. The CLI takes --data
/// as base64 (cli_binary_format base64, its default) and prints records' Data as base64.
/// </summary>
public sealed class StreamCliTests(StreamFixture fixture) : IClassFixture<StreamFixture>
{
    private AwsCli Cli => fixture.Cli;

    [Fact]
    public async Task A_stream_is_created_described_listed_and_deleted()
    {
        var name = NodeFixture.UniqueName("orders");
        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", "3");

        var summary = (await Cli.OkAsync("kinesis", "describe-stream-summary", "--stream-name", name))["StreamDescriptionSummary"]!;
        Assert.Equal("ACTIVE", (string?)summary["StreamStatus"]);
        Assert.Equal(3, (int?)summary["OpenShardCount"]);
        Assert.Equal(24, (int?)summary["RetentionPeriodHours"]);
        Assert.Equal("PROVISIONED", (string?)summary["StreamModeDetails"]!["StreamMode"]);
        var arn = $"arn:aws:kinesis:us-east-1:{fixture.Main.AccountId}:stream/{name}";
        Assert.Equal(arn, (string?)summary["StreamARN"]);

        // By ARN as well as by name; the shards' hash ranges split the 128-bit MD5 space evenly and without gaps.
        var described = (await Cli.OkAsync("kinesis", "describe-stream", "--stream-arn", arn))["StreamDescription"]!;
        var shards = described["Shards"]!.AsArray();
        Assert.Equal(["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"], shards.Select(s => (string)s!["ShardId"]!));
        var next = BigInteger.Zero;
        foreach (var shard in shards)
        {
            Assert.Equal(next, BigInteger.Parse((string)shard!["HashKeyRange"]!["StartingHashKey"]!));
            next = BigInteger.Parse((string)shard["HashKeyRange"]!["EndingHashKey"]!) + 1;
        }
        Assert.Equal(BigInteger.One << 128, next);

        var listed = await Cli.OkAsync("kinesis", "list-streams");
        Assert.Contains(name, listed["StreamNames"]!.AsArray().Select(n => (string?)n));
        Assert.Contains(listed["StreamSummaries"]!.AsArray(), s => (string?)s!["StreamARN"] == arn);

        // One page of two shards, then the rest from NextToken.
        var page = await Cli.OkAsync("kinesis", "list-shards", "--stream-name", name, "--max-results", "2", "--no-paginate");
        Assert.Equal(2, page["Shards"]!.AsArray().Count);
        var rest = await Cli.OkAsync("kinesis", "list-shards", "--next-token", (string)page["NextToken"]!, "--no-paginate");
        Assert.Equal("shardId-000000000002", (string?)rest["Shards"]![0]!["ShardId"]);
        Assert.Null(rest["NextToken"]);

        await Cli.OkAsync("kinesis", "put-record", "--stream-name", name, "--partition-key", "k", "--data", B64("gone"));
        await Cli.OkAsync("kinesis", "delete-stream", "--stream-name", name);
        var gone = await Cli.FailsAsync("ResourceNotFoundException", "kinesis", "describe-stream", "--stream-name", name);
        Assert.Equal($"Stream {name} under account {fixture.Main.AccountId} not found.", gone.ErrorMessage);

        // The name is free again, and the new stream starts empty; the old records are purged in the background.
        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", "1");
        var iterator = await Cli.OkAsync("kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id", "shardId-000000000000",
            "--shard-iterator-type", "TRIM_HORIZON");
        var records = await Cli.OkAsync("kinesis", "get-records", "--shard-iterator", (string)iterator["ShardIterator"]!);
        Assert.Empty(records["Records"]!.AsArray());
        await Eventually(async () => await fixture.CountAsync(
            $"SELECT count(*) FROM grid_stream_records r WHERE NOT EXISTS (SELECT 1 FROM grid_streams s WHERE s.id = r.stream_id)") == 0);
        await Cli.OkAsync("kinesis", "delete-stream", "--stream-name", name);
    }

    [Fact]
    public async Task Records_put_with_the_cli_are_read_back_in_order_from_their_shard()
    {
        var name = NodeFixture.UniqueName("clicks");
        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", "4");

        var put = await Cli.OkAsync("kinesis", "put-record", "--stream-name", name, "--partition-key", "user-1", "--data", B64("evt1"));
        Assert.Equal(ExpectedShard("user-1", 4), (string?)put["ShardId"]);
        Assert.Equal("NONE", (string?)put["EncryptionType"]);
        var firstSeq = (string)put["SequenceNumber"]!;
        Assert.Matches("^[0-9]{25}$", firstSeq);

        var batch = await Cli.OkAsync("kinesis", "put-records", "--stream-name", name, "--records",
            $"Data={B64("evt2")},PartitionKey=user-1", $"Data={B64("evt3")},PartitionKey=user-1", $"Data={B64("oth1")},PartitionKey=user-2");
        Assert.Equal(0, (int?)batch["FailedRecordCount"]);
        var results = batch["Records"]!.AsArray();
        Assert.Equal(ExpectedShard("user-2", 4), (string?)results[2]!["ShardId"]);
        var secondSeq = (string)results[0]!["SequenceNumber"]!;
        var thirdSeq = (string)results[1]!["SequenceNumber"]!;
        Assert.True(string.CompareOrdinal(firstSeq, secondSeq) < 0 && string.CompareOrdinal(secondSeq, thirdSeq) < 0);

        var shard = ExpectedShard("user-1", 4);
        var all = await ReadAsync(name, shard, "TRIM_HORIZON");
        var user1 = all.Where(r => r.Key == "user-1").ToList();
        Assert.Equal(["evt1", "evt2", "evt3"], user1.Select(r => r.Data));
        Assert.Equal([firstSeq, secondSeq, thirdSeq], user1.Select(r => r.Seq));

        Assert.Equal(["evt2", "evt3"], (await ReadAsync(name, shard, "AT_SEQUENCE_NUMBER", secondSeq)).Where(r => r.Key == "user-1").Select(r => r.Data));
        Assert.Equal(["evt3"], (await ReadAsync(name, shard, "AFTER_SEQUENCE_NUMBER", secondSeq)).Where(r => r.Key == "user-1").Select(r => r.Data));
        Assert.Empty(await ReadAsync(name, shard, "LATEST"));

        // A sequence number of another shard is refused, not silently misread.
        var wrong = shard == "shardId-000000000000" ? "shardId-000000000001" : "shardId-000000000000";
        await Cli.FailsAsync("InvalidArgumentException", "kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id", wrong,
            "--shard-iterator-type", "AT_SEQUENCE_NUMBER", "--starting-sequence-number", firstSeq);
        await Cli.FailsAsync("ResourceNotFoundException", "kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id", "shardId-000000000009",
            "--shard-iterator-type", "TRIM_HORIZON");
    }

    [Fact]
    public async Task Retention_changes_within_limits_and_expired_records_are_trimmed()
    {
        var name = NodeFixture.UniqueName("retained");
        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", "1");
        await Cli.OkAsync("kinesis", "increase-stream-retention-period", "--stream-name", name, "--retention-period-hours", "48");
        Assert.Equal(48, (int?)(await Cli.OkAsync("kinesis", "describe-stream-summary", "--stream-name", name))["StreamDescriptionSummary"]!["RetentionPeriodHours"]);
        await Cli.FailsAsync("InvalidArgumentException", "kinesis", "increase-stream-retention-period", "--stream-name", name, "--retention-period-hours", "24");
        await Cli.FailsAsync("InvalidArgumentException", "kinesis", "increase-stream-retention-period", "--stream-name", name, "--retention-period-hours", "8761");
        await Cli.OkAsync("kinesis", "decrease-stream-retention-period", "--stream-name", name, "--retention-period-hours", "24");
        var tooShort = await Cli.FailsAsync("InvalidArgumentException", "kinesis", "decrease-stream-retention-period", "--stream-name", name,
            "--retention-period-hours", "23");
        Assert.Contains("Minimum allowed retention period is 24 hours", tooShort.ErrorMessage);

        await Cli.OkAsync("kinesis", "put-records", "--stream-name", name, "--records", $"Data={B64("old1")},PartitionKey=a", $"Data={B64("new1")},PartitionKey=a");
        // Age the first record past the 24 h retention (the test cannot wait a day); the sweep runs every second here.
        var id = await StreamIdAsync(name);
        Assert.Equal(1, await fixture.ExecuteAsync(
            $"UPDATE grid_stream_records SET arrived = arrived - {25L * 3_600_000} WHERE stream_id = '{id}' AND seq = 1"));
        await Eventually(async () => await fixture.CountAsync($"SELECT count(*) FROM grid_stream_records WHERE stream_id = '{id}'") == 1);
        var records = await ReadAsync(name, "shardId-000000000000", "TRIM_HORIZON");
        Assert.Equal(["new1"], records.Select(r => r.Data));
        await Cli.OkAsync("kinesis", "delete-stream", "--stream-name", name);
    }

    [Fact]
    public async Task Errors_are_kinesis_shaped()
    {
        var name = NodeFixture.UniqueName("errs");
        var missing = await Cli.FailsAsync("ResourceNotFoundException", "kinesis", "put-record", "--stream-name", name, "--partition-key", "k", "--data", B64("xxxx"));
        Assert.Equal($"Stream {name} under account {fixture.Main.AccountId} not found.", missing.ErrorMessage);

        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", "1");
        var duplicate = await Cli.FailsAsync("ResourceInUseException", "kinesis", "create-stream", "--stream-name", name, "--shard-count", "1");
        Assert.Equal($"Stream {name} under account {fixture.Main.AccountId} already exists.", duplicate.ErrorMessage);
        var tooMany = await Cli.FailsAsync("LimitExceededException", "kinesis", "create-stream", "--stream-name", name + "-big", "--shard-count", "65");
        Assert.Contains("at most 64", tooMany.ErrorMessage);

        // Another account does not see the stream.
        await fixture.OtherCli.FailsAsync("ResourceNotFoundException", "kinesis", "describe-stream-summary", "--stream-name", name);
        await Cli.OkAsync("kinesis", "delete-stream", "--stream-name", name);
    }

    [Fact]
    public async Task Tags_are_added_paged_removed_and_deleted_with_the_stream()
    {
        var name = NodeFixture.UniqueName("tagged");
        var arn = $"arn:aws:kinesis:us-east-1:{fixture.Main.AccountId}:stream/{name}";
        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", "1");
        var none = await Cli.OkAsync("kinesis", "list-tags-for-stream", "--stream-name", name);
        Assert.Empty(none["Tags"]!.AsArray());
        Assert.False((bool)none["HasMoreTags"]!);

        await Cli.OkAsync("kinesis", "add-tags-to-stream", "--stream-name", name, "--tags", "team=core,env=dev,cost-center=42");
        // An existing key is overwritten, by ARN as well as by name; an empty value is a value.
        await Cli.OkAsync("kinesis", "add-tags-to-stream", "--stream-arn", arn, "--tags", "env=prod,note=");
        var all = await Cli.OkAsync("kinesis", "list-tags-for-stream", "--stream-arn", arn);
        Assert.Equal(["cost-center=42", "env=prod", "note=", "team=core"], Tags(all));
        Assert.False((bool)all["HasMoreTags"]!);

        // Pages in key order: Limit, then ExclusiveStartTagKey = the last key of the page.
        var first = await Cli.OkAsync("kinesis", "list-tags-for-stream", "--stream-name", name, "--limit", "2");
        Assert.Equal(["cost-center=42", "env=prod"], Tags(first));
        Assert.True((bool)first["HasMoreTags"]!);
        var rest = await Cli.OkAsync("kinesis", "list-tags-for-stream", "--stream-name", name, "--limit", "2", "--exclusive-start-tag-key", "env");
        Assert.Equal(["note=", "team=core"], Tags(rest));
        Assert.False((bool)rest["HasMoreTags"]!);

        // Removing a key the stream does not have is not an error.
        await Cli.OkAsync("kinesis", "remove-tags-from-stream", "--stream-name", name, "--tag-keys", "env", "note", "absent");
        Assert.Equal(["cost-center=42", "team=core"], Tags(await Cli.OkAsync("kinesis", "list-tags-for-stream", "--stream-name", name)));

        // The tags go with the stream: a stream re-created under the name starts without them.
        var id = await StreamIdAsync(name);
        await Cli.OkAsync("kinesis", "delete-stream", "--stream-name", name);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_stream_tags WHERE stream_id = '{id}'"));
        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", "1");
        Assert.Empty((await Cli.OkAsync("kinesis", "list-tags-for-stream", "--stream-name", name))["Tags"]!.AsArray());
        await Cli.OkAsync("kinesis", "delete-stream", "--stream-name", name);
    }

    [Fact]
    public async Task Tag_limits_bad_tags_and_unknown_streams_are_kinesis_errors()
    {
        var name = NodeFixture.UniqueName("tagerr");
        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--shard-count", "1");
        static string Many(int from, int count) => string.Join(",", Enumerable.Range(from, count).Select(i => $"k{i:D2}=v{i}"));

        // 50 tags per stream: 45 + 6 is refused and changes nothing, 45 + 5 fits, overwriting one keeps 50, one more is refused.
        await Cli.OkAsync("kinesis", "add-tags-to-stream", "--stream-name", name, "--tags", Many(0, 45));
        var over = await Cli.FailsAsync("InvalidArgumentException", "kinesis", "add-tags-to-stream", "--stream-name", name, "--tags", Many(45, 6));
        Assert.Equal($"Failed to add tags to stream {name} under account {fixture.Main.AccountId} because a given stream cannot have more than 50 tags "
            + "associated with it; this request would leave it with 51. Remove tags with RemoveTagsFromStream first, or add fewer.", over.ErrorMessage);
        Assert.Equal(45, (await Cli.OkAsync("kinesis", "list-tags-for-stream", "--stream-name", name))["Tags"]!.AsArray().Count);
        await Cli.OkAsync("kinesis", "add-tags-to-stream", "--stream-name", name, "--tags", Many(45, 5));
        await Cli.OkAsync("kinesis", "add-tags-to-stream", "--stream-name", name, "--tags", "k00=changed");
        await Cli.FailsAsync("InvalidArgumentException", "kinesis", "add-tags-to-stream", "--stream-name", name, "--tags", "k50=v50");
        var listed = await Cli.OkAsync("kinesis", "list-tags-for-stream", "--stream-name", name, "--limit", "50");
        Assert.Equal(50, listed["Tags"]!.AsArray().Count);
        Assert.Equal("k00=changed", Tags(listed)[0]);
        Assert.False((bool)listed["HasMoreTags"]!);

        var badCharacter = await Cli.FailsAsync("InvalidArgumentException", "kinesis", "add-tags-to-stream", "--stream-name", name,
            "--tags", """{"cost#center": "1"}""");
        Assert.Contains("Tags may only contain Unicode letters, digits, white space", badCharacter.ErrorMessage);
        await Cli.FailsAsync("ValidationException", "kinesis", "add-tags-to-stream", "--stream-name", name, "--tags", $$"""{"{{new string('k', 129)}}": "v"}""");
        await Cli.FailsAsync("ValidationException", "kinesis", "list-tags-for-stream", "--stream-name", name, "--limit", "51");

        // An unknown stream, and another account's stream, are not found, for every tag operation.
        var absent = name + "-absent";
        var missing = await Cli.FailsAsync("ResourceNotFoundException", "kinesis", "add-tags-to-stream", "--stream-name", absent, "--tags", "a=b");
        Assert.Equal($"Stream {absent} under account {fixture.Main.AccountId} not found.", missing.ErrorMessage);
        await Cli.FailsAsync("ResourceNotFoundException", "kinesis", "list-tags-for-stream", "--stream-name", absent);
        await Cli.FailsAsync("ResourceNotFoundException", "kinesis", "remove-tags-from-stream", "--stream-name", absent, "--tag-keys", "a");
        await fixture.OtherCli.FailsAsync("ResourceNotFoundException", "kinesis", "list-tags-for-stream", "--stream-arn",
            $"arn:aws:kinesis:us-east-1:{fixture.Main.AccountId}:stream/{name}");
        await Cli.OkAsync("kinesis", "delete-stream", "--stream-name", name);
    }

    [Fact]
    public async Task The_stream_mode_is_stored_reported_and_updated()
    {
        var name = NodeFixture.UniqueName("mode");
        await Cli.OkAsync("kinesis", "create-stream", "--stream-name", name, "--stream-mode-details", "StreamMode=ON_DEMAND");
        var summary = (await Cli.OkAsync("kinesis", "describe-stream-summary", "--stream-name", name))["StreamDescriptionSummary"]!;
        Assert.Equal("ON_DEMAND", (string?)summary["StreamModeDetails"]!["StreamMode"]);
        Assert.Equal(4, (int?)summary["OpenShardCount"]);
        var arn = (string)summary["StreamARN"]!;
        // --no-paginate: the CLI's DescribeStream paginator keeps only the members it knew of, and StreamModeDetails came later.
        var described = await Cli.OkAsync("kinesis", "describe-stream", "--stream-arn", arn, "--no-paginate");
        Assert.Equal("ON_DEMAND", (string?)described["StreamDescription"]!["StreamModeDetails"]!["StreamMode"]);
        var listed = (await Cli.OkAsync("kinesis", "list-streams"))["StreamSummaries"]!.AsArray().Single(s => (string?)s!["StreamName"] == name)!;
        Assert.Equal("ON_DEMAND", (string?)listed["StreamModeDetails"]!["StreamMode"]);

        // Only the mode changes: the shards stay, and the stream keeps taking records.
        await Cli.OkAsync("kinesis", "update-stream-mode", "--stream-arn", arn, "--stream-mode-details", "StreamMode=PROVISIONED");
        summary = (await Cli.OkAsync("kinesis", "describe-stream-summary", "--stream-arn", arn))["StreamDescriptionSummary"]!;
        Assert.Equal("PROVISIONED", (string?)summary["StreamModeDetails"]!["StreamMode"]);
        Assert.Equal(4, (int?)summary["OpenShardCount"]);
        await Cli.OkAsync("kinesis", "put-record", "--stream-name", name, "--partition-key", "k", "--data", B64("after"));
        await Cli.OkAsync("kinesis", "update-stream-mode", "--stream-arn", arn, "--stream-mode-details", "StreamMode=ON_DEMAND");
        Assert.Equal("ON_DEMAND", (string?)(await Cli.OkAsync("kinesis", "describe-stream-summary", "--stream-name", name))
            ["StreamDescriptionSummary"]!["StreamModeDetails"]!["StreamMode"]);

        await Cli.FailsAsync("ValidationException", "kinesis", "update-stream-mode", "--stream-arn", arn, "--stream-mode-details", "StreamMode=FAST");
        await Cli.FailsAsync("ResourceNotFoundException", "kinesis", "update-stream-mode", "--stream-arn", arn + "-absent",
            "--stream-mode-details", "StreamMode=PROVISIONED");
        await Cli.OkAsync("kinesis", "delete-stream", "--stream-name", name);
    }

    /// <summary>The listed tags as key=value, in the order the node returned them.</summary>
    private static List<string> Tags(System.Text.Json.Nodes.JsonNode listed) =>
        listed["Tags"]!.AsArray().Select(t => $"{(string?)t!["Key"]}={(string?)t["Value"]}").ToList();

    private async Task<List<(string Key, string Data, string Seq)>> ReadAsync(string stream, string shard, string type, string? seq = null)
    {
        string[] args = ["kinesis", "get-shard-iterator", "--stream-name", stream, "--shard-id", shard, "--shard-iterator-type", type];
        if (seq is not null) args = [.. args, "--starting-sequence-number", seq];
        var iterator = (string)(await Cli.OkAsync(args))["ShardIterator"]!;
        var records = await Cli.OkAsync("kinesis", "get-records", "--shard-iterator", iterator);
        return records["Records"]!.AsArray().Select(r => ((string)r!["PartitionKey"]!,
            Encoding.UTF8.GetString(Convert.FromBase64String((string)r["Data"]!)), (string)r["SequenceNumber"]!)).ToList();
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private async Task<string> StreamIdAsync(string name)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(fixture.Node.DataDirectory, "grid.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id FROM grid_streams WHERE name = '{name}'";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The shard Kinesis puts a partition key on: MD5 as a 128-bit big-endian number, in even ranges.</summary>
    public static string ExpectedShard(string partitionKey, int shards)
    {
        var hash = new BigInteger(MD5.HashData(Encoding.UTF8.GetBytes(partitionKey)), isUnsigned: true, isBigEndian: true);
        var index = Enumerable.Range(0, shards).Single(i => hash >= (BigInteger.One << 128) * i / shards && hash < (BigInteger.One << 128) * (i + 1) / shards);
        return $"shardId-{index:D12}";
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException("condition not met within 20 s");
            await Task.Delay(200);
        }
    }
}
