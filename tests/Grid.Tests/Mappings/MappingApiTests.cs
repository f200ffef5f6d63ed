using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Mappings;

/// <summary>The event source mapping API with the real AWS CLI and boto3 Lambda clients: CRUD, checkpoints, and every error.</summary>
public sealed class MappingApiTests(MappingFixture fixture) : IClassFixture<MappingFixture>
{
    private string Account => fixture.Main.AccountId;

    private async Task<(string Function, string Stream, string StreamArn)> FunctionAndStreamAsync(int shards = 1)
    {
        var function = await MappingFunctions.DeployAsync(fixture.Cli, fixture.Listener.Url, "ok");
        var stream = NodeFixture.UniqueName("st");
        return (function, stream, await fixture.CreateStreamAsync(stream, shards));
    }

    [Fact]
    public async Task Cli_creates_gets_updates_lists_and_deletes_a_mapping()
    {
        var (function, _, streamArn) = await FunctionAndStreamAsync(shards: 2);
        var created = await fixture.Cli.OkAsync("lambda", "create-event-source-mapping", "--function-name", function,
            "--event-source-arn", streamArn, "--starting-position", "LATEST", "--batch-size", "50",
            "--maximum-retry-attempts", "3", "--bisect-batch-on-function-error", "--function-response-types", "ReportBatchItemFailures",
            "--filter-criteria", """{"Filters":[{"Pattern":"{\"data\":{\"kind\":[\"a\"]}}"}]}""");
        var uuid = (string)created["UUID"]!;
        Assert.Equal("Creating", (string)created["State"]!);
        Assert.Equal("User action", (string)created["StateTransitionReason"]!);
        Assert.Equal(MappingFunctions.FunctionArn(Account, function), (string)created["FunctionArn"]!);
        Assert.Equal(streamArn, (string)created["EventSourceArn"]!);
        Assert.Equal(50, (int)created["BatchSize"]!);
        Assert.Equal(3, (int)created["MaximumRetryAttempts"]!);
        Assert.Equal(-1, (int)created["MaximumRecordAgeInSeconds"]!);
        Assert.Equal(1, (int)created["ParallelizationFactor"]!);
        Assert.True((bool)created["BisectBatchOnFunctionError"]!);
        Assert.Equal("ReportBatchItemFailures", (string)created["FunctionResponseTypes"]![0]!);
        Assert.Equal("LATEST", (string)created["StartingPosition"]!);
        Assert.Equal("No records processed", (string)created["LastProcessingResult"]!);
        Assert.Contains("kind", (string)created["FilterCriteria"]!["Filters"]![0]!["Pattern"]!);
        Assert.True((DateTimeOffset.UtcNow - DateTimeOffset.Parse((string)created["LastModified"]!, System.Globalization.CultureInfo.InvariantCulture)).Duration()
            < TimeSpan.FromMinutes(1)); // epoch seconds on the wire; the CLI prints them as a date

        var got = await fixture.Cli.OkAsync("lambda", "get-event-source-mapping", "--uuid", uuid);
        Assert.Equal("Enabled", (string)got["State"]!);

        var updated = await fixture.Cli.OkAsync("lambda", "update-event-source-mapping", "--uuid", uuid, "--batch-size", "200",
            "--no-enabled", "--maximum-record-age-in-seconds", "120", "--function-response-types", "[]");
        Assert.Equal("Disabling", (string)updated["State"]!);
        Assert.Equal(200, (int)updated["BatchSize"]!);
        Assert.Equal(120, (int)updated["MaximumRecordAgeInSeconds"]!);
        Assert.Equal(3, (int)updated["MaximumRetryAttempts"]!); // untouched settings stay
        Assert.Empty(updated["FunctionResponseTypes"]!.AsArray());
        got = await fixture.Cli.OkAsync("lambda", "get-event-source-mapping", "--uuid", uuid);
        Assert.Equal("Disabled", (string)got["State"]!);
        Assert.Equal(200, (int)got["BatchSize"]!);

        var listed = await fixture.Cli.OkAsync("lambda", "list-event-source-mappings", "--function-name", function);
        Assert.Equal(uuid, (string)listed["EventSourceMappings"]!.AsArray().Single()!["UUID"]!);

        Assert.Equal(2, await fixture.CountAsync($"SELECT count(*) FROM grid_esm_checkpoints WHERE mapping_uuid = '{uuid}'"));
        var deleted = await fixture.Cli.OkAsync("lambda", "delete-event-source-mapping", "--uuid", uuid);
        Assert.Equal("Deleting", (string)deleted["State"]!);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_esm_checkpoints WHERE mapping_uuid = '{uuid}'"));
        var gone = await fixture.Cli.FailsAsync("ResourceNotFoundException", "lambda", "get-event-source-mapping", "--uuid", uuid);
        Assert.Contains("does not exist", gone.ErrorMessage);
        await fixture.Cli.FailsAsync("ResourceNotFoundException", "lambda", "delete-event-source-mapping", "--uuid", uuid);
        await fixture.Cli.FailsAsync("ResourceNotFoundException", "lambda", "update-event-source-mapping", "--uuid", uuid, "--batch-size", "5");
    }

    [Fact]
    public async Task Starting_positions_set_the_checkpoints_in_the_create()
    {
        var (function, stream, streamArn) = await FunctionAndStreamAsync();
        await fixture.PutAsync(stream, ("a", "k"), ("b", "k"), ("c", "k"));
        await Task.Delay(1100);
        var between = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        await Task.Delay(100);
        await fixture.PutAsync(stream, ("d", "k"), ("e", "k"));

        async Task<long> CheckpointAsync(string position, params string[] extra)
        {
            var fn = await MappingFunctions.DeployAsync(fixture.Cli, fixture.Listener.Url, "ok");
            var created = await fixture.Cli.OkAsync(["lambda", "create-event-source-mapping", "--function-name", fn, "--event-source-arn", streamArn,
                "--starting-position", position, "--no-enabled", .. extra]);
            return await fixture.CountAsync($"SELECT seq FROM grid_esm_checkpoints WHERE mapping_uuid = '{created["UUID"]}' AND shard = 0");
        }

        Assert.Equal(0, await CheckpointAsync("TRIM_HORIZON"));
        Assert.Equal(5, await CheckpointAsync("LATEST"));
        Assert.Equal(3, await CheckpointAsync("AT_TIMESTAMP", "--starting-position-timestamp", between.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(0, await CheckpointAsync("AT_TIMESTAMP", "--starting-position-timestamp", "1000000000"));
        _ = function;
    }

    [Fact]
    public async Task Invalid_settings_are_rejected_with_lambda_errors()
    {
        var (function, _, streamArn) = await FunctionAndStreamAsync();
        var result = await fixture.Boto.RunAsync($$"""
            fn, arn = {{Boto3.Literal(function)}}, {{Boto3.Literal(streamArn)}}
            base = dict(FunctionName=fn, EventSourceArn=arn, StartingPosition="TRIM_HORIZON")
            def create(**kw):
                args = dict(base)
                args.update(kw)
                return error(unvalidated.create_event_source_mapping, **{k: v for k, v in args.items() if v is not None})
            pattern = lambda p: dict(Filters=[dict(Pattern=p)])
            dest = lambda kind, a: {kind: dict(Destination=a)}
            out({
              "noPosition": create(StartingPosition=None),
              "badPosition": create(StartingPosition="EARLIEST"),
              "atTimestampWithoutTime": create(StartingPosition="AT_TIMESTAMP"),
              "batch": create(BatchSize=10001),
              "batchZero": create(BatchSize=0),
              "window": create(MaximumBatchingWindowInSeconds=301),
              "parallel": create(ParallelizationFactor=11),
              "retries": create(MaximumRetryAttempts=10001),
              "retriesLow": create(MaximumRetryAttempts=-2),
              "age": create(MaximumRecordAgeInSeconds=30),
              "ageHigh": create(MaximumRecordAgeInSeconds=604801),
              "tumbling": create(TumblingWindowInSeconds=60),
              "responseTypes": create(FunctionResponseTypes=["Everything"]),
              "onSuccess": create(DestinationConfig=dest("OnSuccess", "arn:aws:lambda:us-east-1:{{Account}}:function:" + fn)),
              "sqsDestination": create(DestinationConfig=dest("OnFailure", "arn:aws:sqs:us-east-1:{{Account}}:q")),
              "missingDestination": create(DestinationConfig=dest("OnFailure", "arn:aws:lambda:us-east-1:{{Account}}:function:nope")),
              "missingStreamDestination": create(DestinationConfig=dest("OnFailure", "arn:aws:kinesis:us-east-1:{{Account}}:stream/nope")),
              "otherAccountDestination": create(DestinationConfig=dest("OnFailure", "arn:aws:lambda:us-east-1:999999999999:function:x")),
              "sixFilters": create(FilterCriteria=dict(Filters=[dict(Pattern='{"data": {"a": ["x"]} }')] * 6)),
              "notJson": create(FilterCriteria=pattern("{data")),
              "notObject": create(FilterCriteria=pattern('["x"]')),
              "unknownOperator": create(FilterCriteria=pattern('{"data": {"a": [{"regex": "x.*"} ] } }')),
              "badNumeric": create(FilterCriteria=pattern('{"data": {"a": [{"numeric": [">", "x"]} ] } }')),
              "scalarLeaf": create(FilterCriteria=pattern('{"data": {"a": "x"} }')),
              "unknownFunction": create(FunctionName="does-not-exist"),
              "unknownAlias": create(FunctionName=fn + ":nope"),
              "unknownStream": create(EventSourceArn="arn:aws:kinesis:us-east-1:{{Account}}:stream/nope"),
              "sqsSource": create(EventSourceArn="arn:aws:sqs:us-east-1:{{Account}}:queue"),
              "otherAccountStream": create(EventSourceArn=arn.replace("{{Account}}", "{{NodeFixture.OtherAccount}}")),
            })
            """);
        void Expect(string key, string code, int status, string fragment)
        {
            var e = result![key]!;
            Assert.True(code == (string)e["Code"]! && status == (int)e["Status"]! && ((string?)e["Message"] ?? "").Contains(fragment, StringComparison.Ordinal),
                $"{key}: expected {code} {status} '{fragment}', got {e.ToJsonString()}");
        }
        const string Invalid = "InvalidParameterValueException";
        Expect("noPosition", Invalid, 400, "StartingPosition is required");
        Expect("badPosition", Invalid, 400, "EARLIEST");
        Expect("atTimestampWithoutTime", Invalid, 400, "StartingPositionTimestamp");
        Expect("batch", Invalid, 400, "BatchSize must be between 1 and 10000");
        Expect("batchZero", Invalid, 400, "BatchSize");
        Expect("window", Invalid, 400, "MaximumBatchingWindowInSeconds");
        Expect("parallel", Invalid, 400, "ParallelizationFactor");
        Expect("retries", Invalid, 400, "MaximumRetryAttempts");
        Expect("retriesLow", Invalid, 400, "MaximumRetryAttempts");
        Expect("age", Invalid, 400, "MaximumRecordAgeInSeconds must be -1");
        Expect("ageHigh", Invalid, 400, "MaximumRecordAgeInSeconds");
        Expect("tumbling", Invalid, 400, "not supported");
        Expect("responseTypes", Invalid, 400, "ReportBatchItemFailures");
        Expect("onSuccess", Invalid, 400, "OnSuccess");
        Expect("sqsDestination", Invalid, 400, "Grid stream");
        Expect("missingDestination", Invalid, 400, "does not exist");
        Expect("missingStreamDestination", Invalid, 400, "does not exist");
        Expect("otherAccountDestination", Invalid, 400, "another account");
        Expect("sixFilters", Invalid, 400, "at most 5");
        Expect("notJson", Invalid, 400, "Invalid filter pattern definition");
        Expect("notObject", Invalid, 400, "JSON object");
        Expect("unknownOperator", Invalid, 400, "regex");
        Expect("badNumeric", Invalid, 400, "numeric");
        Expect("scalarLeaf", Invalid, 400, "list of values");
        Expect("unknownFunction", "ResourceNotFoundException", 404, "Function not found");
        Expect("unknownAlias", "ResourceNotFoundException", 404, "Function not found");
        Expect("unknownStream", "ResourceNotFoundException", 404, "Stream not found");
        Expect("sqsSource", Invalid, 400, "Grid streams only");
        Expect("otherAccountStream", "ResourceNotFoundException", 404, "Stream not found");
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_event_source_mappings WHERE function_name = '{function}'"));
    }

    [Fact]
    public async Task A_second_mapping_of_the_same_pair_conflicts_and_updates_are_checked()
    {
        var (function, _, streamArn) = await FunctionAndStreamAsync();
        var uuid = (string)(await fixture.Cli.OkAsync("lambda", "create-event-source-mapping", "--function-name", function,
            "--event-source-arn", streamArn, "--starting-position", "TRIM_HORIZON", "--no-enabled"))["UUID"]!;
        var conflict = await fixture.Cli.FailsAsync("ResourceConflictException", "lambda", "create-event-source-mapping",
            "--function-name", MappingFunctions.FunctionArn(Account, function), "--event-source-arn", streamArn, "--starting-position", "LATEST");
        Assert.Contains($"Please update or delete the existing mapping with UUID {uuid}", conflict.ErrorMessage);

        var result = await fixture.Boto.RunAsync($$"""
            uuid = {{Boto3.Literal(uuid)}}
            path = "/2015-03-31/event-source-mappings/" + uuid
            out({
              "position": signed("PUT", path, json.dumps({"StartingPosition": "LATEST"}).encode()),
              "source": signed("PUT", path, json.dumps({"EventSourceArn": "arn:aws:kinesis:us-east-1:{{Account}}:stream/x"}).encode()),
              "batch": error(unvalidated.update_event_source_mapping, UUID=uuid, BatchSize=20000),
              "tumbling": error(unvalidated.update_event_source_mapping, UUID=uuid, TumblingWindowInSeconds=30),
              "function": error(unvalidated.update_event_source_mapping, UUID=uuid, FunctionName="missing-fn"),
              "badJson": signed("PUT", path, b"{not json"),
              "unknown": error(client.get_event_source_mapping, UUID="6a1bd1a4-0000-0000-0000-000000000000"),
            })
            """);
        Assert.Equal(400, (int)result!["position"]!["Status"]!);
        Assert.Contains("StartingPosition cannot be changed", (string)result["position"]!["Body"]!);
        Assert.Equal(400, (int)result["source"]!["Status"]!);
        Assert.Contains("BatchSize", (string)result["batch"]!["Message"]!);
        Assert.Equal("InvalidParameterValueException", (string)result["tumbling"]!["Code"]!);
        Assert.Equal("ResourceNotFoundException", (string)result["function"]!["Code"]!);
        Assert.Equal(400, (int)result["badJson"]!["Status"]!);
        Assert.Equal(404, (int)result["unknown"]!["Status"]!);
        var unchanged = await fixture.Cli.OkAsync("lambda", "get-event-source-mapping", "--uuid", uuid);
        Assert.Equal(100, (int)unchanged["BatchSize"]!);
        Assert.Equal("TRIM_HORIZON", (string)unchanged["StartingPosition"]!);
    }

    [Fact]
    public async Task Lists_filter_by_source_and_function_and_page_with_markers()
    {
        var (function, _, streamArn) = await FunctionAndStreamAsync();
        var other = await MappingFunctions.DeployAsync(fixture.Cli, fixture.Listener.Url, "ok");
        await fixture.Cli.OkAsync("lambda", "create-alias", "--function-name", other, "--name", "live", "--function-version", "$LATEST");
        var otherStream = await fixture.CreateStreamAsync(NodeFixture.UniqueName("st"));
        var uuids = new List<string>();
        foreach (var (fn, arn) in new[] { (function, streamArn), (other, streamArn), (other + ":live", streamArn), (function, otherStream) })
        {
            uuids.Add((string)(await fixture.Cli.OkAsync("lambda", "create-event-source-mapping", "--function-name", fn,
                "--event-source-arn", arn, "--starting-position", "LATEST", "--no-enabled"))["UUID"]!);
        }
        var result = await fixture.Boto.RunAsync($$"""
            arn = {{Boto3.Literal(streamArn)}}
            by_source = client.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
            by_both = client.list_event_source_mappings(EventSourceArn=arn, FunctionName={{Boto3.Literal(other)}})["EventSourceMappings"]
            by_alias = client.list_event_source_mappings(FunctionName={{Boto3.Literal(other + ":live")}})["EventSourceMappings"]
            pages, marker = [], None
            while True:
                kw = {"EventSourceArn": arn, "MaxItems": 1}
                if marker: kw["Marker"] = marker
                page = client.list_event_source_mappings(**kw)
                pages.append([m["UUID"] for m in page["EventSourceMappings"]])
                marker = page.get("NextMarker")
                if not marker: break
            paginated = [m["UUID"] for p in client.get_paginator("list_event_source_mappings").paginate(EventSourceArn=arn, PaginationConfig={"PageSize": 2}) for m in p["EventSourceMappings"]]
            out({"bySource": [m["UUID"] for m in by_source], "byBoth": [m["FunctionArn"] for m in by_both],
                 "byAlias": [m["FunctionArn"] for m in by_alias], "pages": pages, "paginated": paginated,
                 "badMax": error(unvalidated.list_event_source_mappings, MaxItems=0)})
            """);
        var bySource = result!["bySource"]!.AsArray().Select(n => (string)n!).ToList();
        Assert.Equal(uuids.Take(3).Order(StringComparer.Ordinal), bySource);
        Assert.Equal(2, result["byBoth"]!.AsArray().Count);
        Assert.Equal(MappingFunctions.FunctionArn(Account, other) + ":live", (string)result["byAlias"]!.AsArray().Single()!);
        Assert.Equal(3, result["pages"]!.AsArray().Count);
        Assert.All(result["pages"]!.AsArray(), p => Assert.Single(p!.AsArray()));
        Assert.Equal(bySource, result["pages"]!.AsArray().Select(p => (string)p![0]!));
        Assert.Equal(bySource, result["paginated"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(400, (int)result["badMax"]!["Status"]!);
    }

    [Fact]
    public async Task Deleting_a_function_deletes_its_mappings_and_other_accounts_see_nothing()
    {
        var (function, _, streamArn) = await FunctionAndStreamAsync();
        var uuid = (string)(await fixture.Cli.OkAsync("lambda", "create-event-source-mapping", "--function-name", function,
            "--event-source-arn", streamArn, "--starting-position", "TRIM_HORIZON", "--no-enabled"))["UUID"]!;

        await fixture.OtherCli.FailsAsync("ResourceNotFoundException", "lambda", "get-event-source-mapping", "--uuid", uuid);
        await fixture.OtherCli.FailsAsync("ResourceNotFoundException", "lambda", "delete-event-source-mapping", "--uuid", uuid);
        Assert.Empty((await fixture.OtherCli.OkAsync("lambda", "list-event-source-mappings"))["EventSourceMappings"]!.AsArray());

        await fixture.Cli.OkAsync("lambda", "delete-function", "--function-name", function);
        await fixture.Cli.FailsAsync("ResourceNotFoundException", "lambda", "get-event-source-mapping", "--uuid", uuid);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_esm_checkpoints WHERE mapping_uuid = '{uuid}'"));
    }

    [Fact]
    public async Task Deleting_a_stream_deletes_its_mappings_and_a_recreated_stream_gets_new_ones()
    {
        var (function, stream, streamArn) = await FunctionAndStreamAsync();
        var old = await MapAsync(function, streamArn);
        var before = await fixture.PutAsync(stream, ("before", "k"));
        await fixture.Listener.WaitAsync(function, r => MappingFunctions.Succeeded(r).Contains("before"), TimeSpan.FromSeconds(60));

        await fixture.Cli.OkAsync("kinesis", "delete-stream", "--stream-name", stream);
        Assert.Empty((await fixture.Cli.OkAsync("lambda", "list-event-source-mappings", "--function-name", function))["EventSourceMappings"]!.AsArray());
        await fixture.Cli.FailsAsync("ResourceNotFoundException", "lambda", "get-event-source-mapping", "--uuid", old);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_esm_checkpoints WHERE mapping_uuid = '{old}'"));

        // Same name, same ARN, a new stream whose sequence numbers start at 1 again: a new mapping (no 409) reads it from there.
        Assert.Equal(streamArn, await fixture.CreateStreamAsync(stream));
        var fresh = await MapAsync(function, streamArn);
        Assert.NotEqual(old, fresh);
        var put = await fixture.PutAsync(stream, ("after", "k"));
        Assert.Equal(before[0].Seq, put[0].Seq); // the old mapping's checkpoint would have skipped this record
        var reports = await fixture.Listener.WaitAsync(function, r => MappingFunctions.Succeeded(r).Contains("after"), TimeSpan.FromSeconds(60));
        var after = reports.Single(r => MappingFunctions.Data(r).Contains("after"));
        Assert.Equal(["after"], MappingFunctions.Data(after));
        Assert.Equal(put[0].Seq, MappingFunctions.Sequences(after).Single());
    }

    [Fact]
    public async Task Deleting_an_alias_deletes_the_mappings_that_invoke_it()
    {
        var (function, _, streamArn) = await FunctionAndStreamAsync();
        await fixture.Cli.OkAsync("lambda", "create-alias", "--function-name", function, "--name", "live", "--function-version", "$LATEST");
        var viaAlias = await MapAsync(function + ":live", streamArn, "--no-enabled");
        var unqualified = await MapAsync(function, streamArn, "--no-enabled");

        await fixture.Cli.OkAsync("lambda", "delete-alias", "--function-name", function, "--name", "live");
        var left = (await fixture.Cli.OkAsync("lambda", "list-event-source-mappings", "--function-name", function))["EventSourceMappings"]!.AsArray();
        Assert.Equal(unqualified, (string)left.Single()!["UUID"]!);
        await fixture.Cli.FailsAsync("ResourceNotFoundException", "lambda", "get-event-source-mapping", "--uuid", viaAlias);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_esm_checkpoints WHERE mapping_uuid = '{viaAlias}'"));
    }

    private async Task<string> MapAsync(string function, string streamArn, params string[] extra) =>
        (string)(await fixture.Cli.OkAsync(["lambda", "create-event-source-mapping", "--function-name", function, "--event-source-arn", streamArn,
            "--starting-position", "TRIM_HORIZON", .. extra]))["UUID"]!;
}
