using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Invoke;

/// <summary>Invoke of nodejs functions: CommonJS and ES modules, async and callback handlers.</summary>
public sealed class NodeInvokeTests(InvokeFixture fixture) : IClassFixture<InvokeFixture>
{
    private AwsCli Aws => fixture.Cli;

    private Task<string> DeployAsync(string handler, params string[] extra) =>
        fixture.DeployAsync("node-cjs", "nodejs20.x", "index." + handler, extra);

    [Fact]
    public async Task Async_callback_and_es_module_handlers_return_results()
    {
        var echo = await Aws.InvokeAsync(await DeployAsync("echo"), """{"a":[1,{"b":null}]}""");
        Assert.Equal(200, echo.StatusCode);
        Assert.Equal("$LATEST", echo.ExecutedVersion);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":[1,{"b":null}]}"""), echo.Json));

        var callback = await Aws.InvokeAsync(await DeployAsync("callback"), """{"x":1}""");
        Assert.Equal("callback", (string?)callback.Json!["style"]);
        Assert.Equal(1, (int?)callback.Json["event"]!["x"]);

        var esmName = await fixture.DeployAsync("node-esm", "nodejs20.x", "index.handler");
        var esm = await Aws.InvokeAsync(esmName, """{"y":2}""");
        Assert.Equal("esm", (string?)esm.Json!["module"]);
        Assert.Equal(esmName, (string?)esm.Json["name"]);
    }

    [Fact]
    public async Task Context_and_environment_are_lambda_shaped()
    {
        var name = await DeployAsync("context", "--memory-size", "384", "--timeout", "9");
        var context = (await Aws.InvokeAsync(name, "{}", "--client-context",
            Convert.ToBase64String("""{"custom":{"k":"v"}}"""u8.ToArray()))).Json!;
        Assert.Matches("^[0-9a-f-]{36}$", (string?)context["awsRequestId"]);
        Assert.Equal(name, (string?)context["functionName"]);
        Assert.Equal("$LATEST", (string?)context["functionVersion"]);
        Assert.Equal($"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}", (string?)context["invokedFunctionArn"]);
        Assert.Equal(384, (int?)context["memoryLimitInMB"]);
        Assert.InRange((int)context["remaining"]!, 7000, 9000);
        Assert.Equal($"/aws/lambda/{name}", (string?)context["logGroupName"]);
        Assert.Equal("v", (string?)context["clientContext"]!["k"]);

        var envName = await DeployAsync("env", "--environment", "Variables={MODE=node-test}");
        var env = (await Aws.InvokeAsync(envName, """{"names":["MODE","AWS_LAMBDA_FUNCTION_NAME","AWS_REGION","LAMBDA_TASK_ROOT","_HANDLER"]}""")).Json!;
        Assert.Equal("node-test", (string?)env["MODE"]);
        Assert.Equal(envName, (string?)env["AWS_LAMBDA_FUNCTION_NAME"]);
        Assert.Equal("us-east-1", (string?)env["AWS_REGION"]);
        Assert.Equal("/var/task", (string?)env["LAMBDA_TASK_ROOT"]);
        Assert.Equal("index.env", (string?)env["_HANDLER"]);
    }

    [Fact]
    public async Task Errors_timeouts_crashes_and_oversized_responses()
    {
        var fail = await Aws.InvokeAsync(await DeployAsync("fail"), "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", fail.FunctionError);
        Assert.Equal("TypeError", (string?)fail.Json!["errorType"]);
        Assert.Equal("node handler failed on purpose", (string?)fail.Json["errorMessage"]);
        Assert.Contains("Status: error", fail.Log);

        var callbackError = await Aws.InvokeAsync(await DeployAsync("callbackError"), "{}");
        Assert.Equal("Unhandled", callbackError.FunctionError);
        Assert.Equal("callback error", (string?)callbackError.Json!["errorMessage"]);

        var timeout = await Aws.InvokeAsync(await DeployAsync("spin", "--timeout", "1"), "{}", "--log-type", "Tail");
        Assert.Equal("Sandbox.Timedout", (string?)timeout.Json!["errorType"]);
        Assert.Contains("Task timed out after 1.00 seconds", (string?)timeout.Json["errorMessage"]);
        Assert.Contains("Status: timeout", timeout.Log);

        var crash = await Aws.InvokeAsync(await DeployAsync("crash"), "{}");
        Assert.Equal("Runtime.ExitError", (string?)crash.Json!["errorType"]);

        var big = await Aws.InvokeAsync(await DeployAsync("big"), "{}");
        Assert.Equal("Function.ResponseSizeTooLarge", (string?)big.Json!["errorType"]);

        var missing = await Aws.InvokeAsync(await DeployAsync("nope"), "{}");
        Assert.Equal("Runtime.HandlerNotFound", (string?)missing.Json!["errorType"]);
    }

    [Fact]
    public async Task Tail_has_the_functions_output_and_report()
    {
        var name = await DeployAsync("log");
        var result = await Aws.InvokeAsync(name, """{"marker":"n-1"}""", "--log-type", "Tail");
        Assert.Contains("hello from node n-1", result.Log);
        Assert.Matches(@"REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration", result.Log);
    }

    [Fact]
    public async Task Output_of_a_subprocess_lands_in_its_own_invocation()
    {
        // The bootstrap printed nothing itself, so it skips the log sentinel; the node must still wait for what the
        // child wrote into the log pipe before the reply, and attribute it to this invocation, not the next one.
        var name = await DeployAsync("childLog");
        for (var i = 0; i < 5; i++)
        {
            var result = await Aws.InvokeAsync(name, $$"""{"marker":"c-{{i}}"}""", "--log-type", "Tail");
            Assert.Equal("child logged", (string?)result.Json);
            Assert.Contains($"child says c-{i}\n", result.Log);
            Assert.DoesNotContain($"child says c-{i - 1}\n", result.Log);
        }
        var quiet = await Aws.InvokeAsync(await DeployAsync("echo"), """{"q":1}""", "--log-type", "Tail");
        Assert.Matches(@"^START RequestId: [0-9a-f-]{36} Version: \$LATEST\nEND RequestId", quiet.Log!.Substring(quiet.Log.IndexOf("START", StringComparison.Ordinal)));
    }
}
