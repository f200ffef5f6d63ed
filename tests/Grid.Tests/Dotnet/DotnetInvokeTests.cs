using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Dotnet;

/// <summary>C# functions (dotnet8 / dotnet10) through the real AWS CLI: handler forms, serialization, context, logs.</summary>
public sealed class DotnetInvokeTests(DotnetFixture fixture) : IClassFixture<DotnetFixture>
{
    private AwsCli Aws => fixture.Cli;

    [Fact]
    public async Task Sample_with_a_source_generated_context_answers_and_logs_like_lambda()
    {
        var name = NodeFixture.UniqueName("hello");
        await fixture.DeployAsAsync(name, fixture.Sample, "dotnet10", "Hello::Hello.Function::Handle",
            "--environment", "Variables={GREETING=Hi}");

        // Input names are matched case-insensitively; the context's options (camelCase) shape the output.
        var cold = await Aws.InvokeAsync(name, """{"NAME":"grid","times":2}""", "--log-type", "Tail");
        Assert.Null(cold.FunctionError);
        Assert.Equal("Hi, grid! Hi, grid!", (string?)cold.Json!["message"]);
        Assert.Equal(name, (string?)cold.Json["functionName"]);
        Assert.Equal(128, (int?)cold.Json["memoryLimitInMB"]);
        var requestId = (string)cold.Json["requestId"]!;
        Assert.Matches($@"START RequestId: {requestId} Version: \$LATEST", cold.Log);
        Assert.Matches($@"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{requestId}\tinfo\tgreeting grid \(invocation 1 of this environment\)", cold.Log);
        Assert.Matches($@"\t{requestId}\tinfo\tConsole output lands in the log too", cold.Log);
        Assert.Contains($"END RequestId: {requestId}", cold.Log);
        Assert.Matches(@"REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms", cold.Log);

        // The same environment serves the next invoke: same instance, no init.
        var warm = await Aws.InvokeAsync(name, """{"name":"again"}""", "--log-type", "Tail");
        Assert.Equal("Hi, again!", (string?)warm.Json!["message"]);
        Assert.Contains("(invocation 2 of this environment)", warm.Log);
        Assert.DoesNotContain("Init Duration", warm.Log);
    }

    [Fact]
    public async Task Typed_input_and_output_use_lambdas_default_json_rules()
    {
        var name = await fixture.DeployTestAsync("Handlers::Order");
        var result = await Aws.InvokeAsync(name, """{"item":"book","QUANTITY":3,"price":2.5}""");
        Assert.Null(result.FunctionError);
        // Exact property names out, nulls left out (as Lambda's DefaultLambdaJsonSerializer).
        Assert.Equal("""{"Item":"book","Total":7.5}""", result.Payload);

        var bad = await Aws.InvokeAsync(name, """{"quantity":"many"}""");
        Assert.Equal("Unhandled", bad.FunctionError);
        Assert.Equal("Runtime.UnmarshalError", (string?)bad.Json!["errorType"]);
        Assert.Contains("DotnetTestFunctions.Order", (string?)bad.Json["errorMessage"]);
    }

    [Fact]
    public async Task Context_carries_the_invocation_and_the_function()
    {
        var name = await fixture.DeployTestAsync("Handlers::Context", "--memory-size", "256", "--timeout", "7");
        var clientContext = Convert.ToBase64String("""{"custom":{"tenant":"blue"}}"""u8.ToArray());
        var result = await Aws.InvokeAsync(name, "{}", "--client-context", clientContext, "--log-type", "Tail");
        var context = result.Json!;
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", (string?)context["requestId"]);
        Assert.Equal(name, (string?)context["functionName"]);
        Assert.Equal("$LATEST", (string?)context["functionVersion"]);
        Assert.Equal($"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}", (string?)context["invokedFunctionArn"]);
        Assert.Equal(256, (int?)context["memoryLimitInMB"]);
        Assert.InRange((long)context["remainingMs"]!, 4000, 7000);
        Assert.InRange((long)context["deadlineMs"]! - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), -10_000, 7000);
        Assert.Equal($"/aws/lambda/{name}", (string?)context["logGroupName"]);
        Assert.Matches(@"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$", (string?)context["logStreamName"]);
        Assert.Equal("blue", (string?)context["tenant"]);
        var requestId = (string)context["requestId"]!;
        Assert.Matches($@"\t{requestId}\tinfo\tcontext asked", result.Log);
        Assert.Matches($@"\t{requestId}\tinfo\tconsole line from the handler", result.Log);
        Assert.Matches($@"\t{requestId}\tfail\tstderr line from the handler", result.Log);

        var again = await Aws.InvokeAsync(name, "{}", "--qualifier", "$LATEST");
        Assert.Equal((string?)context["instance"], (string?)again.Json!["instance"]); // created once per environment
        Assert.Equal(2, (int?)again.Json["calls"]);
    }

    [Fact]
    public async Task Environment_has_lambdas_variables_and_the_users()
    {
        var name = await fixture.DeployTestAsync("Handlers::Environment", "--environment", "Variables={STAGE=test}", "--memory-size", "192");
        var names = new[] { "STAGE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "LAMBDA_TASK_ROOT", "_HANDLER",
            "AWS_EXECUTION_ENV", "DOTNET_GCHeapHardLimit" };
        var result = await Aws.InvokeAsync(name, new JsonArray(names.Select(n => (JsonNode)n).ToArray()).ToJsonString());
        var env = result.Json!;
        Assert.Equal("test", (string?)env["STAGE"]);
        Assert.Equal(name, (string?)env["AWS_LAMBDA_FUNCTION_NAME"]);
        Assert.Equal("192", (string?)env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]);
        Assert.Equal("us-east-1", (string?)env["AWS_REGION"]);
        Assert.Equal("/var/task", (string?)env["LAMBDA_TASK_ROOT"]);
        Assert.Equal("DotnetTestFunctions::DotnetTestFunctions.Handlers::Environment", (string?)env["_HANDLER"]);
        Assert.Equal("AWS_Lambda_dotnet8", (string?)env["AWS_EXECUTION_ENV"]);
        Assert.Equal((192L * 1024 * 1024 * 3 / 4).ToString("X"), (string?)env["DOTNET_GCHeapHardLimit"]); // the GC knows the limit
    }

    [Fact]
    public async Task Async_static_void_and_stream_handlers_work()
    {
        var async = await fixture.DeployTestAsync("Handlers::Async");
        Assert.Equal("\"async grid\"", (await Aws.InvokeAsync(async, """{"name":"grid"}""")).Payload);

        var valueTask = await fixture.DeployTestAsync("Handlers::ValueTaskOfInt");
        Assert.Equal("42", (await Aws.InvokeAsync(valueTask, "21")).Payload);

        var nothing = await fixture.DeployTestAsync("Handlers::NoResult");
        var empty = await Aws.InvokeAsync(nothing, "{}", "--log-type", "Tail");
        Assert.Null(empty.FunctionError);
        Assert.Equal("", empty.Payload);
        Assert.Contains("\twarn\treturned nothing", empty.Log);

        var greet = await fixture.DeployTestAsync("StaticHandlers::Greet");
        Assert.Equal($"\"hello you from {greet}\"", (await Aws.InvokeAsync(greet, "\"you\"")).Payload);

        var stream = await fixture.DeployTestAsync("Handlers::Stream");
        Assert.Equal("""{"length":13}""", (await Aws.InvokeAsync(stream, """{"a":"12345"}""")).Payload);
    }

    [Fact]
    public async Task Handler_exception_is_an_unhandled_error_and_the_environment_keeps_serving()
    {
        var name = await fixture.DeployTestAsync("Handlers::Fail");
        var result = await Aws.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal(200, result.StatusCode);
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("InvalidOperationException", (string?)result.Json!["errorType"]);
        Assert.Equal("handler failed on purpose", (string?)result.Json["errorMessage"]);
        var stack = result.Json["stackTrace"]!.AsArray().Select(f => (string)f!).ToList();
        Assert.Contains(stack, f => f.StartsWith("at DotnetTestFunctions.Handlers.Fail(", StringComparison.Ordinal));
        Assert.DoesNotContain(stack, f => f.Contains("Grid.Runtime.Dotnet", StringComparison.Ordinal));
        Assert.Equal("ArgumentException", (string?)result.Json["cause"]!["errorType"]);
        Assert.Contains("\tfail\tSystem.InvalidOperationException: handler failed on purpose", result.Log);
        Assert.Contains("Status: error", result.Log);

        var again = await Aws.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("InvalidOperationException", (string?)again.Json!["errorType"]);
        Assert.DoesNotContain("Init Duration", again.Log); // the same environment answered
    }
}
