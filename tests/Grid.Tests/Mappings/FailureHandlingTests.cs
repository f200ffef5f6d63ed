using System.Text.Json.Nodes;
using Grid.Tests.Async;
using Grid.Tests.Infrastructure;
using Grid.Tests.Streams;
using Xunit;

namespace Grid.Tests.Mappings;

/// <summary>
/// Lambda's stream failure rules end to end: records put with boto3 Kinesis, a python function failing on some records,
/// the mapping created with the Lambda client, and what the function and the on-failure destinations received.
/// </summary>
public sealed class FailureHandlingTests(MappingFixture fixture) : IClassFixture<MappingFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private CallbackListener Listener => fixture.Listener;
    private string Account => fixture.Main.AccountId;

    /// <summary>A one-shard stream holding <paramref name="data"/> (all with one key) and a function with <paramref name="handler"/>.</summary>
    private async Task<(string Function, string Stream, string StreamArn, List<(string ShardId, string Seq)> Put)> PrepareAsync(string handler,
        params string[] data)
    {
        var function = await MappingFunctions.DeployAsync(fixture.Cli, Listener.Url, handler);
        var stream = NodeFixture.UniqueName("st");
        var arn = await fixture.CreateStreamAsync(stream);
        var put = await fixture.PutAsync(stream, [.. data.Select(d => (d, "key"))]);
        return (function, stream, arn, put);
    }

    private async Task<string> MapAsync(string function, string streamArn, params string[] extra) =>
        (string)(await fixture.Cli.OkAsync(["lambda", "create-event-source-mapping", "--function-name", function, "--event-source-arn", streamArn,
            .. extra.Contains("--starting-position") ? extra : ["--starting-position", "TRIM_HORIZON", .. extra]]))["UUID"]!;

    [Fact]
    public async Task A_failing_batch_is_retried_until_it_succeeds()
    {
        var (function, stream, arn, _) = await PrepareAsync("raise_");
        var uuid = await MapAsync(function, arn);
        var until = DateTimeOffset.UtcNow.AddSeconds(5).ToUnixTimeMilliseconds() / 1000.0; // fails for the next 5 seconds
        await fixture.PutAsync(stream, ("one", "key"), ($"fail-until:{until:0.000}", "key"), ("three", "key"));

        var failing = $"fail-until:{until:0.000}";
        var reports = await Listener.WaitAsync(function, r => MappingFunctions.Succeeded(r).IsSupersetOf(["one", failing, "three"]), Wait);
        var failures = reports.Where(r => r.Kind == "fail").Select(MappingFunctions.Data).ToList();
        Assert.True(failures.Count >= 2, $"expected retries, got {reports.Count} invocations");
        Assert.All(failures, f => Assert.Equal(failures[0], f)); // the same batch each time, nothing skipped
        Assert.Contains(failing, failures[0]);
        var success = MappingFunctions.Data(reports.Single(r => r.Kind == "ok" && MappingFunctions.Data(r).Contains(failing)));
        Assert.Equal(failures[0][0], success[0]); // the retry that worked started where the failing batch did
        await WaitForResultAsync(uuid, "OK");
    }

    [Fact]
    public async Task Bisecting_isolates_a_poison_record_and_only_it_goes_to_the_destination()
    {
        var destination = await MappingFunctions.DeployAsync(fixture.Cli, Listener.Url, "ok");
        string[] data = ["r0", "r1", "r2", "r3", "r4-poison", "r5", "r6", "r7"];
        var (function, _, arn, put) = await PrepareAsync("raise_", data);
        await MapAsync(function, arn, "--bisect-batch-on-function-error", "--maximum-retry-attempts", "0", "--batch-size", "8",
            "--destination-config", OnFailure(MappingFunctions.FunctionArn(Account, destination)));

        var record = (await Listener.WaitAsync(destination, r => r.Count >= 1, Wait)).Single();
        var reports = await Listener.WaitAsync(function, r => MappingFunctions.Succeeded(r).Count == 7, Wait);
        Assert.Equal(data.Where(d => d != "r4-poison").ToHashSet(), MappingFunctions.Succeeded(reports));
        // 8 -> 4+4 -> (2+2) -> (1+1): the poison record alone is given up after its one attempt (no retries).
        Assert.Equal(["r4-poison"], MappingFunctions.Data(reports.Last(r => r.Kind == "fail")));
        var info = record.Event!["KinesisBatchInfo"]!;
        Assert.Equal(1, (int)info["batchSize"]!);
        Assert.Equal(put[4].Seq, (string)info["startSequenceNumber"]!);
        Assert.Equal(put[4].Seq, (string)info["endSequenceNumber"]!);
        Assert.Equal("RetryAttemptsExhausted", (string)record.Event["requestContext"]!["condition"]!);
        await Task.Delay(500);
        Assert.Single(Listener.For(destination));
    }

    [Fact]
    public async Task Reported_item_failures_retry_from_the_lowest_failed_sequence_number()
    {
        var destinationStream = NodeFixture.UniqueName("dlq");
        var destinationArn = await fixture.CreateStreamAsync(destinationStream);
        string[] data = ["a", "b", "c-poison", "d", "e-poison", "f"];
        var (function, _, arn, put) = await PrepareAsync("partial", data);
        var uuid = await MapAsync(function, arn, "--function-response-types", "ReportBatchItemFailures", "--maximum-retry-attempts", "1",
            "--destination-config", OnFailure(destinationArn));

        var reports = await Listener.WaitAsync(function, r => r.Count >= 2, Wait);
        Assert.Equal(data, MappingFunctions.Data(reports[0]));
        Assert.Equal(["c-poison", "d", "e-poison", "f"], MappingFunctions.Data(reports[1])); // from the lowest failure, not only the failures

        // Retries exhausted after the second invocation: the on-failure record is appended to the destination stream.
        var records = await ReadStreamAsync(destinationStream, expected: 1);
        var body = records.Single();
        Assert.Equal("RetryAttemptsExhausted", (string)body["requestContext"]!["condition"]!);
        Assert.Equal(2, (int)body["requestContext"]!["approximateInvokeCount"]!);
        Assert.Equal(put[2].Seq, (string)body["KinesisBatchInfo"]!["startSequenceNumber"]!);
        Assert.Equal(put[5].Seq, (string)body["KinesisBatchInfo"]!["endSequenceNumber"]!);
        Assert.Equal(4, (int)body["KinesisBatchInfo"]!["batchSize"]!);
        await Task.Delay(500);
        Assert.Equal(2, Listener.For(function).Count);
        await WaitForResultAsync(uuid, "PROBLEM: Function call failed");
    }

    [Fact]
    public async Task Exhausted_retries_send_lambdas_on_failure_record_to_a_function()
    {
        var destination = await MappingFunctions.DeployAsync(fixture.Cli, Listener.Url, "ok");
        var (function, _, arn, put) = await PrepareAsync("raise_", "x", "y-poison", "z");
        await MapAsync(function, arn, "--maximum-retry-attempts", "2",
            "--destination-config", OnFailure(MappingFunctions.FunctionArn(Account, destination)));

        var record = (await Listener.WaitAsync(destination, r => r.Count >= 1, Wait)).Single().Event!;
        Assert.Equal(3, Listener.For(function).Count); // the first attempt and two retries, each with the whole batch
        Assert.All(Listener.For(function), r => Assert.Equal(["x", "y-poison", "z"], MappingFunctions.Data(r)));

        var context = record["requestContext"]!;
        Assert.Equal("RetryAttemptsExhausted", (string)context["condition"]!);
        Assert.Equal(3, (int)context["approximateInvokeCount"]!);
        Assert.Equal(MappingFunctions.FunctionArn(Account, function), (string)context["functionArn"]!);
        Assert.True(Guid.TryParse((string)context["requestId"]!, out _));
        Assert.Equal(200, (int)record["responseContext"]!["statusCode"]!);
        Assert.Equal("Unhandled", (string)record["responseContext"]!["functionError"]!);
        Assert.Equal("$LATEST", (string)record["responseContext"]!["executedVersion"]!);
        Assert.Equal("1.0", (string)record["version"]!);
        Assert.True(DateTimeOffset.TryParse((string)record["timestamp"]!, out _));
        var info = record["KinesisBatchInfo"]!;
        Assert.Equal("shardId-000000000000", (string)info["shardId"]!);
        Assert.Equal(put[0].Seq, (string)info["startSequenceNumber"]!);
        Assert.Equal(put[2].Seq, (string)info["endSequenceNumber"]!);
        Assert.Equal(3, (int)info["batchSize"]!);
        Assert.Equal(arn, (string)info["streamArn"]!);
        Assert.True(DateTimeOffset.TryParse((string)info["approximateArrivalOfFirstRecord"]!, out _));
        Assert.True(DateTimeOffset.TryParse((string)info["approximateArrivalOfLastRecord"]!, out _));
    }

    [Fact]
    public async Task A_failing_shard_does_not_hold_up_another_shard()
    {
        var function = await MappingFunctions.DeployAsync(fixture.Cli, Listener.Url, "raise_");
        var stream = NodeFixture.UniqueName("st");
        var arn = await fixture.CreateStreamAsync(stream, shards: 2);
        // Find two keys on different shards, then block the first shard with a poison record (retried forever: the defaults).
        var probe = await fixture.PutAsync(stream, [.. Enumerable.Range(0, 16).Select(i => ($"probe{i}", $"k{i}"))]);
        var blockedKey = "k0";
        var freeKey = $"k{probe.FindIndex(p => p.ShardId != probe[0].ShardId)}";
        await fixture.PutAsync(stream, ("poison", blockedKey));
        var uuid = await MapAsync(function, arn, "--starting-position", "LATEST");
        await fixture.PutAsync(stream, ("poison-2", blockedKey), ("blocked-1", blockedKey)); // blocked-1 waits behind the poison
        await Task.Delay(300);
        await fixture.PutAsync(stream, ("free-1", freeKey), ("free-2", freeKey));

        var reports = await Listener.WaitAsync(function, r => MappingFunctions.Succeeded(r).Contains("free-2")
            && r.Count(x => x.Kind == "fail") >= 3, Wait);
        Assert.DoesNotContain("blocked-1", MappingFunctions.Succeeded(reports));
        await fixture.Cli.OkAsync("lambda", "delete-event-source-mapping", "--uuid", uuid);
    }

    [Fact]
    public async Task Filter_criteria_pass_only_matching_records_and_skip_the_rest()
    {
        var function = await MappingFunctions.DeployAsync(fixture.Cli, Listener.Url, "ok");
        var stream = NodeFixture.UniqueName("st");
        var arn = await fixture.CreateStreamAsync(stream);
        string[] patterns =
        [
            """{"data": {"kind": ["order"], "total": [{"numeric": [">", 100, "<=", 1000]}]}}""",
            """{"data": {"name": [{"prefix": "gr"}], "tag": [{"anything-but": ["x", "y"]}]}}""",
            """{"data": {"file": [{"suffix": ".png"}], "owner": [{"exists": false}]}}""",
            """{"data": {"color": [{"equals-ignore-case": "RED"}], "items": ["b"]}}""",
            """{"partitionKey": ["vip"], "data": [{"prefix": "plain"}]}""",
        ];
        var filterCriteria = new JsonObject { ["Filters"] = new JsonArray([.. patterns.Select(p => (JsonNode)new JsonObject { ["Pattern"] = p })]) };
        await MapAsync(function, arn, "--filter-criteria", filterCriteria.ToJsonString());
        (string Data, string Key, bool Pass)[] records =
        [
            ("""{"kind": "order", "total": 500}""", "k", true),
            ("""{"kind": "order", "total": 100}""", "k", false),     // numeric range is exclusive at 100
            ("""{"kind": "refund", "total": 500}""", "k", false),
            ("""{"name": "grid", "tag": "z"}""", "k", true),
            ("""{"name": "grid", "tag": "x"}""", "k", false),        // anything-but
            ("""{"name": "grid"}""", "k", false),                     // anything-but needs the field
            ("""{"file": "a.png"}""", "k", true),
            ("""{"file": "a.png", "owner": "me"}""", "k", false),    // exists: false
            ("""{"color": "red", "items": ["a", "b"]}""", "k", true), // arrays match any element
            ("""{"color": "blue", "items": ["b"]}""", "k", false),
            ("plain text, not JSON", "vip", true),
            ("plain text, not JSON", "other", false),
            ("""{"kind": "order", "total": 999}""", "k", true),       // the last record: a marker that the batch was processed
        ];
        await fixture.PutAsync(stream, [.. records.Select(r => (r.Data, r.Key))]);

        var reports = await Listener.WaitAsync(function, r => MappingFunctions.Succeeded(r).Contains("""{"kind": "order", "total": 999}"""), Wait);
        var seen = reports.SelectMany(MappingFunctions.Data).ToList();
        Assert.Equal(records.Where(r => r.Pass).Select(r => r.Data), seen);
    }

    private static string OnFailure(string arn) =>
        new JsonObject { ["OnFailure"] = new JsonObject { ["Destination"] = arn } }.ToJsonString();

    private async Task WaitForResultAsync(string uuid, string expected)
    {
        var deadline = DateTime.UtcNow + Wait;
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = (string?)(await fixture.Cli.OkAsync("lambda", "get-event-source-mapping", "--uuid", uuid))["LastProcessingResult"];
            if (last == expected) return;
            await Task.Delay(200);
        }
        Assert.Fail($"LastProcessingResult stayed '{last}', expected '{expected}'");
    }

    /// <summary>The JSON bodies of a stream's records, read with boto3 Kinesis, once at least <paramref name="expected"/> arrived.</summary>
    private async Task<List<JsonNode>> ReadStreamAsync(string stream, int expected)
    {
        var result = await fixture.Boto.KinesisAsync($$"""
            import time
            for _ in range(600):
                records = read_shard({{Boto3.Literal(stream)}}, "shardId-000000000000")
                if len(records) >= {{expected}}:
                    break
                time.sleep(0.1)
            out([json.loads(r["Data"]) for r in records])
            """);
        return [.. result!.AsArray().Select(n => n!)];
    }
}
