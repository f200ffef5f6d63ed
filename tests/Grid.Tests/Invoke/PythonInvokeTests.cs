using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Invoke;

/// <summary>Invoke of python3.x functions through the real AWS CLI and boto3.</summary>
public sealed class PythonInvokeTests(InvokeFixture fixture) : IClassFixture<InvokeFixture>
{
    private AwsCli Aws => fixture.Cli;

    private Task<string> DeployAsync(string handler, params string[] extra) =>
        fixture.DeployAsync("python", "python3.11", "app." + handler, extra);

    [Fact]
    public async Task Echo_returns_the_payload_with_lambdas_headers()
    {
        var name = await DeployAsync("echo");
        var result = await Aws.InvokeAsync(name, """{"hello":"grid","n":[1,2,3]}""");
        Assert.Equal(200, result.StatusCode);
        Assert.Null(result.FunctionError);
        Assert.Equal("$LATEST", result.ExecutedVersion);
        Assert.Equal("grid", (string?)result.Json!["hello"]);
        Assert.Equal(3, result.Json["n"]!.AsArray().Count);

        var qualified = await Aws.InvokeAsync(name, "{}", "--qualifier", "$LATEST");
        Assert.Equal("$LATEST", qualified.ExecutedVersion);
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "invoke", "--function-name", name, "--qualifier", "7", "/dev/null");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "invoke", "--function-name", name + "-missing", "/dev/null");
    }

    [Fact]
    public async Task Function_processes_run_below_the_nodes_priority()
    {
        // Grid:FunctionNiceness (5 by default): a busy function cannot starve the node's front door and replies.
        var result = await Aws.InvokeAsync(await DeployAsync("niceness"), "{}");
        var own = int.Parse(File.ReadAllText("/proc/self/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[16]);
        Assert.Equal(Math.Min(own + 5, 19), (int?)result.Json!["nice"]);
    }

    [Fact]
    public async Task Context_object_is_lambda_shaped()
    {
        var name = await DeployAsync("context_fields", "--memory-size", "256", "--timeout", "7");
        var clientContext = Convert.ToBase64String("""{"custom":{"tenant":"blue"}}"""u8.ToArray());
        var result = await Aws.InvokeAsync(name, "{}", "--client-context", clientContext);
        var context = result.Json!;
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", (string?)context["aws_request_id"]);
        Assert.Equal(name, (string?)context["function_name"]);
        Assert.Equal("$LATEST", (string?)context["function_version"]);
        Assert.Equal($"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}", (string?)context["invoked_function_arn"]);
        Assert.Equal(256, (int?)context["memory_limit_in_mb"]);
        Assert.InRange((int)context["remaining_ms"]!, 5000, 7000);
        Assert.Equal($"/aws/lambda/{name}", (string?)context["log_group_name"]);
        Assert.Matches(@"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$", (string?)context["log_stream_name"]);
        Assert.Equal("blue", (string?)context["client_context"]!["tenant"]);
    }

    [Fact]
    public async Task Environment_has_lambdas_variables_and_the_users()
    {
        var name = await DeployAsync("env", "--environment", "Variables={STAGE=test,GREETING=hello world}", "--memory-size", "192");
        var names = new[] { "STAGE", "GREETING", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_REGION", "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT", "_HANDLER", "AWS_LAMBDA_LOG_GROUP_NAME", "TZ", "GRID_SECRET_FROM_HOST" };
        var result = await Aws.InvokeAsync(name, new JsonObject { ["names"] = new JsonArray(names.Select(n => (JsonNode)n).ToArray()) }.ToJsonString());
        var env = result.Json!;
        Assert.Equal("test", (string?)env["STAGE"]);
        Assert.Equal("hello world", (string?)env["GREETING"]);
        Assert.Equal(name, (string?)env["AWS_LAMBDA_FUNCTION_NAME"]);
        Assert.Equal("$LATEST", (string?)env["AWS_LAMBDA_FUNCTION_VERSION"]);
        Assert.Equal("192", (string?)env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]);
        Assert.Equal("us-east-1", (string?)env["AWS_REGION"]);
        Assert.Equal("/var/task", (string?)env["LAMBDA_TASK_ROOT"]);
        Assert.Equal("app.env", (string?)env["_HANDLER"]);
        Assert.Equal($"/aws/lambda/{name}", (string?)env["AWS_LAMBDA_LOG_GROUP_NAME"]);
        Assert.Null(env["GRID_SECRET_FROM_HOST"]); // the node's own environment does not leak into functions
    }

    [Fact]
    public async Task Handler_exception_is_an_unhandled_function_error()
    {
        var name = await DeployAsync("fail");
        var result = await Aws.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal(200, result.StatusCode);
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("ValueError", (string?)result.Json!["errorType"]);
        Assert.Equal("handler failed on purpose", (string?)result.Json["errorMessage"]);
        Assert.NotEmpty(result.Json["stackTrace"]!.AsArray());
        Assert.Contains("Status: error", result.Log);
    }

    [Fact]
    public async Task Init_error_is_reported_and_retried_on_the_next_invoke()
    {
        var name = await fixture.DeployAsync("python-initfail", "python3.11", "app.handler");
        var first = await Aws.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", first.FunctionError);
        Assert.Equal("RuntimeError", (string?)first.Json!["errorType"]);
        Assert.Contains("init failed on purpose", (string?)first.Json["errorMessage"]);
        Assert.Contains("INIT_REPORT", first.Log);
        var second = await Aws.InvokeAsync(name, "{}");
        Assert.Equal("Unhandled", second.FunctionError);

        var missing = await DeployAsync("no_such_handler");
        var result = await Aws.InvokeAsync(missing, "{}");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("Runtime.HandlerNotFound", (string?)result.Json!["errorType"]);
    }

    [Fact]
    public async Task Timeout_kills_the_environment_and_the_next_invoke_starts_fresh()
    {
        var name = await DeployAsync("spin", "--timeout", "1");
        var result = await Aws.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("Sandbox.Timedout", (string?)result.Json!["errorType"]);
        Assert.Matches(@"^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$", (string?)result.Json["errorMessage"]);
        Assert.Contains("Status: timeout", result.Log);

        await Aws.OkAsync("lambda", "update-function-configuration", "--function-name", name, "--handler", "app.echo");
        await Task.Delay(1500); // configuration changes reach the node within ConfigCacheDuration (1 s)
        var after = await Aws.InvokeAsync(name, """{"alive":true}""");
        Assert.True((bool?)after.Json!["alive"]);
    }

    [Fact]
    public async Task Exiting_mid_invoke_is_a_runtime_exit_error()
    {
        var name = await DeployAsync("crash");
        var result = await Aws.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("Runtime.ExitError", (string?)result.Json!["errorType"]);
        Assert.Contains("Runtime exited with error: exit status 3", (string?)result.Json["errorMessage"]);
        Assert.Contains("Error Type: Runtime.ExitError", result.Log);
        var again = await Aws.InvokeAsync(name, "{}");
        Assert.Equal("Runtime.ExitError", (string?)again.Json!["errorType"]);
    }

    [Fact]
    public async Task Oversized_response_is_refused()
    {
        var name = await DeployAsync("big");
        var result = await Aws.InvokeAsync(name, "{}");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("Function.ResponseSizeTooLarge", (string?)result.Json!["errorType"]);
        Assert.Contains("Response payload size exceeded maximum allowed payload size (6291556 bytes)", (string?)result.Json["errorMessage"]);
    }

    [Fact]
    public async Task Tail_returns_the_log_with_start_end_and_report_lines()
    {
        var name = await DeployAsync("log");
        var cold = await Aws.InvokeAsync(name, """{"marker":"m-1"}""", "--log-type", "Tail");
        var log = cold.Log!;
        Assert.Matches(@"START RequestId: [0-9a-f-]{36} Version: \$LATEST", log);
        Assert.Contains("hello from the log m-1", log);
        Assert.Contains("to stderr too", log);
        Assert.Matches(@"END RequestId: [0-9a-f-]{36}", log);
        Assert.Matches(@"REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms", log);

        var warm = await Aws.InvokeAsync(name, """{"marker":"m-2"}""", "--log-type", "Tail");
        Assert.Contains("hello from the log m-2", warm.Log);
        Assert.DoesNotContain("Init Duration", warm.Log);
        Assert.DoesNotContain("m-1", warm.Log);
    }

    [Fact]
    public async Task Logs_are_kept_per_function_and_readable_through_the_api()
    {
        var name = await DeployAsync("log");
        var invoked = await fixture.Boto.RunAsync($$"""
            r = client.invoke(FunctionName="{{name}}", Payload=b'{"marker":"kept"}')
            request_id = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
            import time
            for _ in range(50):
                logs = signed("GET", "/grid/2026-11-01/functions/{{name}}/logs?requestId=" + request_id)
                if logs["Status"] == 200 and "kept" in logs["Body"]:
                    break
                time.sleep(0.1)
            out({"request_id": request_id, "logs": logs})
            """);
        var body = (string)invoked!["logs"]!["Body"]!;
        Assert.Equal(200, (int?)invoked["logs"]!["Status"]);
        Assert.Contains("hello from the log kept", body);
        Assert.Contains("REPORT RequestId: " + (string?)invoked["request_id"], body);
    }

    [Fact]
    public async Task DryRun_event_and_bad_payloads()
    {
        var name = await DeployAsync("echo");
        var results = await fixture.Boto.RunAsync($$"""
            dry = client.invoke(FunctionName="{{name}}", InvocationType="DryRun")
            event = client.invoke(FunctionName="{{name}}", InvocationType="Event", Payload=b'{"async":1}')
            bad = error(client.invoke, FunctionName="{{name}}", Payload=b'{not json')
            empty = client.invoke(FunctionName="{{name}}", Payload=b'')
            out({"dry": dry["StatusCode"], "event": event["StatusCode"], "bad": bad, "empty": empty["Payload"].read().decode()})
            """);
        Assert.Equal(204, (int?)results!["dry"]);
        Assert.Equal(202, (int?)results["event"]);
        Assert.Equal("InvalidRequestContentException", (string?)results["bad"]!["Code"]);
        Assert.Equal(400, (int?)results["bad"]!["Status"]);
        Assert.Equal("{}", (string?)results["empty"]);
    }

    [Fact]
    public async Task Boto3_invoke_returns_payload_errors_and_tail()
    {
        var name = await DeployAsync("fail");
        var result = await fixture.Boto.RunAsync($$"""
            r = client.invoke(FunctionName="{{name}}", LogType="Tail", Payload=b"{}")
            out({"status": r["StatusCode"], "error": r.get("FunctionError"), "version": r["ExecutedVersion"],
                 "payload": json.loads(r["Payload"].read()), "log": base64.b64decode(r["LogResult"]).decode()})
            """);
        Assert.Equal(200, (int?)result!["status"]);
        Assert.Equal("Unhandled", (string?)result["error"]);
        Assert.Equal("$LATEST", (string?)result["version"]);
        Assert.Equal("ValueError", (string?)result["payload"]!["errorType"]);
        Assert.Contains("REPORT RequestId:", (string?)result["log"]);
    }

    [Fact]
    public async Task Twenty_parallel_invokes_get_twenty_environments_reused_on_the_next_wave()
    {
        var name = await DeployAsync("whoami");
        var result = await fixture.Boto.RunAsync($$"""
            from concurrent.futures import ThreadPoolExecutor
            def call(_):
                r = client.invoke(FunctionName="{{name}}", Payload=b'{"sleep": 1.5}')
                assert "FunctionError" not in r, r["Payload"].read()
                return json.loads(r["Payload"].read())["environment"]
            with ThreadPoolExecutor(20) as pool:
                first = list(pool.map(call, range(20)))
                second = list(pool.map(call, range(20)))
            out({"first": first, "second": second})
            """);
        var first = result!["first"]!.AsArray().Select(e => (string)e!).ToHashSet();
        var second = result["second"]!.AsArray().Select(e => (string)e!).ToHashSet();
        Assert.Equal(20, first.Count);
        Assert.Equal(20, second.Count);
        Assert.Subset(first, second); // every environment of the second wave was already warm
    }

    [Fact]
    public async Task Sandbox_mounts_code_read_only_and_gives_a_private_tmp()
    {
        var name = await DeployAsync("write_tmp");
        var result = await Aws.InvokeAsync(name, """{"name":"grid-probe"}""");
        Assert.True((bool?)result.Json!["tmp"]);
        Assert.False((bool?)result.Json["wrote_task"]);
        Assert.DoesNotContain("root:", (string?)result.Json["shadow"]); // the host's password hashes stay hidden
        Assert.False(File.Exists("/tmp/grid-probe"), "the function's /tmp is not the host's");
    }
}
