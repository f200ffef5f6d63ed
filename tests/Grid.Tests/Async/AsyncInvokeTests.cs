using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Async;

/// <summary>Event invokes and InvokeAsync on an embedded node: the durable 202, retries with backoff, destinations, dead letters, limits.</summary>
public sealed class AsyncInvokeTests(AsyncFixture fixture) : IClassFixture<AsyncFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_event_invoke_answers_202_and_the_function_runs_with_the_same_request_id()
    {
        var name = await fixture.DeployAsync();
        var viaBoto = await fixture.Boto.RunAsync($$$"""
            r = client.invoke(FunctionName={{{Boto3.Literal(name)}}}, InvocationType="Event", Payload=b'{"marker":"boto3"}')
            out({"status": r["StatusCode"], "requestId": r["ResponseMetadata"]["RequestId"], "body": r["Payload"].read().decode(),
                 "executedVersion": r.get("ExecutedVersion")})
            """);
        Assert.Equal(202, (int?)viaBoto!["status"]);
        Assert.Equal("", (string?)viaBoto["body"]);
        Assert.Null(viaBoto["executedVersion"]);
        var requestId = (string)viaBoto["requestId"]!;

        var viaCli = await fixture.Cli.InvokeAsync(name, """{"marker":"cli"}""", "--invocation-type", "Event");
        Assert.Equal(202, viaCli.StatusCode);

        var reports = await fixture.Listener.WaitAsync(name, r => r.Count >= 2, Wait);
        var boto = Assert.Single(reports, r => (string?)r.Event?["marker"] == "boto3");
        Assert.Equal(requestId, boto.RequestId);
        Assert.Single(reports, r => (string?)r.Event?["marker"] == "cli");

        // A successful event leaves the queue.
        await Eventually(async () => await fixture.CountAsync($"SELECT count(*) FROM grid_async_events WHERE name = '{name}'") == 0);
        await Task.Delay(1000);
        Assert.Equal(2, fixture.Listener.For(name).Count);
    }

    [Fact]
    public async Task Invoke_async_the_deprecated_operation_queues_the_event()
    {
        var name = await fixture.DeployAsync();
        var file = Path.Combine(fixture.Root, "args-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(file, """{"marker":"invoke-async-cli"}""");
        var cli = await fixture.Cli.OkAsync("lambda", "invoke-async", "--function-name", name, "--invoke-args", file);
        Assert.Equal(202, (int?)cli["Status"]);

        var boto = await fixture.Boto.RunAsync($$$"""
            r = client.invoke_async(FunctionName={{{Boto3.Literal(name)}}}, InvokeArgs=b'{"marker":"invoke-async-boto3"}')
            out({"status": r["Status"], "missing": error(client.invoke_async, FunctionName="no-such-function", InvokeArgs=b'{}')})
            """);
        Assert.Equal(202, (int?)boto!["status"]);
        Assert.Equal("ResourceNotFoundException", (string?)boto["missing"]!["Code"]);

        var reports = await fixture.Listener.WaitAsync(name, r => r.Count >= 2, Wait);
        Assert.Contains(reports, r => (string?)r.Event?["marker"] == "invoke-async-cli");
        Assert.Contains(reports, r => (string?)r.Event?["marker"] == "invoke-async-boto3");
    }

    [Fact]
    public async Task An_event_payload_over_1_MB_is_413_and_one_just_under_is_accepted()
    {
        var name = await fixture.DeployAsync();
        var result = await fixture.Boto.RunAsync($$$"""
            name = {{{Boto3.Literal(name)}}}
            def payload(size):
                return b'{"pad":"' + b'x' * (size - 10) + b'"}'
            too_big = error(client.invoke, FunctionName=name, InvocationType="Event", Payload=payload(1048577))
            ok = client.invoke(FunctionName=name, InvocationType="Event", Payload=payload(1048576))
            missing = error(client.invoke, FunctionName="no-such-function", InvocationType="Event", Payload=b'{}')
            bad_json = error(client.invoke, FunctionName=name, InvocationType="Event", Payload=b'{not json')
            out({"tooBig": too_big, "ok": ok["StatusCode"], "missing": missing, "badJson": bad_json})
            """);
        Assert.Equal(413, (int?)result!["tooBig"]!["Status"]);
        Assert.Equal("RequestEntityTooLargeException", (string?)result["tooBig"]!["Code"]);
        Assert.Equal("1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)", (string?)result["tooBig"]!["Message"]);
        Assert.Equal(202, (int?)result["ok"]);
        Assert.Equal("ResourceNotFoundException", (string?)result["missing"]!["Code"]);
        Assert.Equal("InvalidRequestContentException", (string?)result["badJson"]!["Code"]);
        var report = Assert.Single(await fixture.Listener.WaitAsync(name, r => r.Count >= 1, Wait));
        Assert.Equal(1048576 - 10, ((string?)report.Event?["pad"])?.Length);
    }

    [Fact]
    public async Task A_failing_event_is_retried_twice_with_backoff_then_its_record_goes_to_the_on_failure_destination()
    {
        var account = fixture.Main.AccountId;
        var name = await fixture.DeployAsync("fail");
        var destination = await fixture.DeployAsync();
        await fixture.Cli.OkAsync("lambda", "put-function-event-invoke-config", "--function-name", name, "--maximum-retry-attempts", "2",
            "--destination-config", $$$"""{"OnFailure":{"Destination":"{{{AsyncFunctions.Arn(account, destination)}}}"}}""");

        var invoked = await fixture.Cli.InvokeAsync(name, """{"order":42}""", "--invocation-type", "Event");
        Assert.Equal(202, invoked.StatusCode);

        var attempts = await fixture.Listener.WaitAsync(name, r => r.Count >= 3, Wait);
        Assert.All(attempts, a => Assert.Equal(attempts[0].RequestId, a.RequestId)); // one request id for every attempt, as Lambda
        Assert.All(attempts, a => Assert.Equal(42, (int?)a.Event?["order"]));
        // Backoff: 1× then 2× the base delay (1 s in this fixture; Lambda's is a minute).
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(0.9), $"first retry after {attempts[1].At - attempts[0].At}");
        Assert.True(attempts[2].At - attempts[1].At >= TimeSpan.FromSeconds(1.9), $"second retry after {attempts[2].At - attempts[1].At}");

        var record = Assert.Single(await fixture.Listener.WaitAsync(destination, r => r.Count >= 1, Wait)).Event!;
        Assert.Equal("1.0", (string?)record["version"]);
        Assert.True(DateTimeOffset.TryParse((string?)record["timestamp"], out _));
        Assert.Equal(attempts[0].RequestId, (string?)record["requestContext"]!["requestId"]);
        Assert.Equal(AsyncFunctions.Arn(account, name, "$LATEST"), (string?)record["requestContext"]!["functionArn"]);
        Assert.Equal("RetriesExhausted", (string?)record["requestContext"]!["condition"]);
        Assert.Equal(3, (int?)record["requestContext"]!["approximateInvokeCount"]);
        Assert.Equal("""{"order":42}""", record["requestPayload"]!.ToJsonString());
        Assert.Equal(200, (int?)record["responseContext"]!["statusCode"]);
        Assert.Equal("$LATEST", (string?)record["responseContext"]!["executedVersion"]);
        Assert.Equal("Unhandled", (string?)record["responseContext"]!["functionError"]);
        Assert.Equal("failing on purpose", (string?)record["responsePayload"]!["errorMessage"]);
        Assert.Equal("ValueError", (string?)record["responsePayload"]!["errorType"]);

        await Task.Delay(2500); // no fourth attempt
        Assert.Equal(3, fixture.Listener.For(name).Count);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_async_events WHERE name = '{name}'"));
    }

    [Fact]
    public async Task A_successful_event_sends_its_record_to_the_on_success_destination()
    {
        var account = fixture.Main.AccountId;
        var name = await fixture.DeployAsync();
        var destination = await fixture.DeployAsync();
        await fixture.Cli.OkAsync("lambda", "publish-version", "--function-name", name);
        await fixture.Cli.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1");
        await fixture.Cli.OkAsync("lambda", "put-function-event-invoke-config", "--function-name", name, "--qualifier", "live",
            "--destination-config", $$$"""{"OnSuccess":{"Destination":"{{{AsyncFunctions.Arn(account, destination)}}}"}}""");

        // The alias's config applies to invokes of the alias only.
        await fixture.Cli.InvokeAsync(name, """{"via":"latest"}""", "--invocation-type", "Event");
        await fixture.Cli.InvokeAsync(name, """{"via":"alias"}""", "--invocation-type", "Event", "--qualifier", "live");

        var record = Assert.Single(await fixture.Listener.WaitAsync(destination, r => r.Count >= 1, Wait)).Event!;
        var ran = await fixture.Listener.WaitAsync(name, r => r.Count >= 2, Wait);
        Assert.Equal("Success", (string?)record["requestContext"]!["condition"]);
        Assert.Equal(1, (int?)record["requestContext"]!["approximateInvokeCount"]);
        Assert.Equal(AsyncFunctions.Arn(account, name, "live"), (string?)record["requestContext"]!["functionArn"]);
        Assert.Equal(ran.Single(r => (string?)r.Event?["via"] == "alias").RequestId, (string?)record["requestContext"]!["requestId"]);
        Assert.Equal("""{"via":"alias"}""", record["requestPayload"]!.ToJsonString());
        Assert.Equal("1", (string?)record["responseContext"]!["executedVersion"]);
        Assert.Null(record["responseContext"]!["functionError"]);
        Assert.Equal("""{"ok":true,"echo":{"via":"alias"}}""", record["responsePayload"]!.ToJsonString());
        await Task.Delay(1500);
        Assert.Single(fixture.Listener.For(destination));
    }

    [Fact]
    public async Task With_no_retries_a_failing_event_runs_once_and_its_payload_goes_to_the_dead_letter_function()
    {
        var account = fixture.Main.AccountId;
        var deadLetters = await fixture.DeployAsync();
        var name = await fixture.DeployAsync("fail", "--dead-letter-config", $"TargetArn={AsyncFunctions.Arn(account, deadLetters)}");
        await fixture.Cli.OkAsync("lambda", "put-function-event-invoke-config", "--function-name", name, "--maximum-retry-attempts", "0");

        await fixture.Cli.InvokeAsync(name, """{"lost":"letter"}""", "--invocation-type", "Event");
        var letter = Assert.Single(await fixture.Listener.WaitAsync(deadLetters, r => r.Count >= 1, Wait));
        Assert.Equal("""{"lost":"letter"}""", letter.Event!.ToJsonString());
        await Task.Delay(2500);
        Assert.Single(fixture.Listener.For(name));
    }

    [Fact]
    public async Task A_throttled_event_waits_and_runs_once_concurrency_is_available()
    {
        var name = await fixture.DeployAsync();
        await fixture.Cli.OkAsync("lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", "0");
        var invoked = await fixture.Cli.InvokeAsync(name, """{"throttled":true}""", "--invocation-type", "Event");
        Assert.Equal(202, invoked.StatusCode); // accepted even though it cannot run now, as on Lambda

        await Task.Delay(3000);
        Assert.Empty(fixture.Listener.For(name));
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM grid_async_events WHERE name = '{name}' AND attempts = 0 AND throttles > 0"));

        await fixture.Cli.OkAsync("lambda", "delete-function-concurrency", "--function-name", name);
        var ran = Assert.Single(await fixture.Listener.WaitAsync(name, r => r.Count >= 1, Wait));
        Assert.Equal(true, (bool?)ran.Event?["throttled"]);
        await Eventually(async () => await fixture.CountAsync($"SELECT count(*) FROM grid_async_events WHERE name = '{name}'") == 0);
    }

    [Fact]
    public async Task A_deleted_function_s_events_are_dropped()
    {
        var name = await fixture.DeployAsync();
        await fixture.Cli.OkAsync("lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", "0");
        await fixture.Cli.InvokeAsync(name, "{}", "--invocation-type", "Event");
        await fixture.Cli.OkAsync("lambda", "delete-function", "--function-name", name);
        await Eventually(async () => await fixture.CountAsync($"SELECT count(*) FROM grid_async_events WHERE name = '{name}'") == 0);
        Assert.Empty(fixture.Listener.For(name));
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException("condition not met within " + Wait);
            await Task.Delay(100);
        }
    }
}

/// <summary>Maximum event age: with retries 65 s apart and a 60 s limit, the event fails with EventAgeExceeded after one attempt.</summary>
public sealed class EventAgeTests(SlowRetryAsyncFixture fixture) : IClassFixture<SlowRetryAsyncFixture>
{
    [Fact]
    public async Task An_event_that_would_be_too_old_to_retry_goes_to_the_on_failure_destination_as_EventAgeExceeded()
    {
        var account = fixture.Main.AccountId;
        var name = await fixture.DeployAsync("fail");
        var destination = await fixture.DeployAsync();
        await fixture.Cli.OkAsync("lambda", "put-function-event-invoke-config", "--function-name", name,
            "--maximum-event-age-in-seconds", "60", "--destination-config",
            $$$"""{"OnFailure":{"Destination":"{{{AsyncFunctions.Arn(account, destination)}}}"}}""");

        await fixture.Cli.InvokeAsync(name, """{"n":1}""", "--invocation-type", "Event");
        var record = Assert.Single(await fixture.Listener.WaitAsync(destination, r => r.Count >= 1, TimeSpan.FromSeconds(60))).Event!;
        Assert.Equal("EventAgeExceeded", (string?)record["requestContext"]!["condition"]);
        Assert.Equal(1, (int?)record["requestContext"]!["approximateInvokeCount"]);
        Assert.Equal("""{"n":1}""", record["requestPayload"]!.ToJsonString());
        Assert.Single(fixture.Listener.For(name));

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(fixture.Node.Endpoint + "/metrics");
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("grid_async_dropped_total{", StringComparison.Ordinal)
            && l.Contains($"function=\"{name}\"") && l.Contains("reason=\"event_age_exceeded\"") && l.EndsWith(" 1"));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("grid_async_queue_depth", StringComparison.Ordinal));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("grid_async_event_age_seconds_count{", StringComparison.Ordinal));
    }
}
