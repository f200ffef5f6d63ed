using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Invoke;

/// <summary>
/// `provided` runtimes: the package's own bootstrap speaks the HTTP Runtime API. One is a small hand-written
/// client; the other is the Node Runtime Interface Client from npm, unmodified.
/// </summary>
public sealed class ProvidedInvokeTests(InvokeFixture fixture) : IClassFixture<InvokeFixture>
{
    [Fact]
    public async Task A_custom_bootstrap_gets_events_headers_and_reports_results_and_errors()
    {
        var name = await fixture.DeployAsync("provided", "provided.al2023", "my.handler", "--timeout", "5");
        var result = await fixture.Cli.InvokeAsync(name, """{"k":"v"}""", "--log-type", "Tail");
        Assert.Equal(200, result.StatusCode);
        Assert.Equal("my.handler", (string?)result.Json!["handler"]);
        Assert.Equal("v", (string?)result.Json["event"]!["k"]);
        Assert.Equal($"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}", (string?)result.Json["arn"]);
        var remaining = (long)result.Json["deadline"]! - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.InRange(remaining, 1000, 5000);
        Assert.Contains("provided handled", result.Log);
        Assert.Contains("Init Duration", result.Log);

        var warm = await fixture.Cli.InvokeAsync(name, """{"k":"w"}""", "--log-type", "Tail");
        Assert.Equal("w", (string?)warm.Json!["event"]!["k"]);
        Assert.DoesNotContain("Init Duration", warm.Log);

        var error = await fixture.Cli.InvokeAsync(name, """{"fail":true}""");
        Assert.Equal("Unhandled", error.FunctionError);
        Assert.Equal("CustomError", (string?)error.Json!["errorType"]);
        Assert.Equal("custom runtime failure", (string?)error.Json["errorMessage"]);
    }

    [Fact]
    public async Task A_bootstrap_that_exits_before_ready_is_an_init_failure()
    {
        var name = NodeFixture.UniqueName("noboot");
        await fixture.DeployAsAsync(name, Zips.Create(("bootstrap", "#!/bin/sh\necho starting; exit 7\n")), "provided", "x");
        var result = await fixture.Cli.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("Runtime.ExitError", (string?)result.Json!["errorType"]);
        Assert.Contains("exit status 7", (string?)result.Json["errorMessage"]);
        Assert.Contains("starting", result.Log);

        var missing = NodeFixture.UniqueName("noboot");
        await fixture.DeployAsAsync(missing, Zips.Create(("readme.txt", "no bootstrap here")), "provided.al2", "x");
        var noBootstrap = await fixture.Cli.InvokeAsync(missing, "{}");
        Assert.Equal("Unhandled", noBootstrap.FunctionError);
        Assert.Equal("Runtime.InvalidEntrypoint", (string?)noBootstrap.Json!["errorType"]);
    }

    [Fact]
    public async Task The_runtime_api_keeps_its_state_rules_status_codes_and_headers()
    {
        var name = await fixture.DeployAsync("runtime-api", "provided.al2023", "probe", "--timeout", "6");
        var clientContext = Convert.ToBase64String("""{"custom":{"a":"b"}}"""u8.ToArray());
        var first = (await fixture.Cli.InvokeAsync(name, """{"n":1}""", "--client-context", clientContext)).Json!;
        Assert.Equal(200, (int?)first["next_status"]);
        Assert.Equal("application/json", (string?)first["content_type"]);
        Assert.InRange((long)first["deadline"]! - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 1000, 6000);
        Assert.Equal($"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}", (string?)first["arn"]);
        Assert.StartsWith("Root=1-", (string?)first["trace"]);
        Assert.Contains("\"a\":\"b\"", (string?)first["client_context"]);
        Assert.Equal(403, (int?)first["next_again"]![0]);
        Assert.Equal("InvalidStateTransition", (string?)first["next_again"]![1]);
        Assert.Equal(400, (int?)first["bogus_id"]![0]);
        Assert.Equal("InvalidRequestID", (string?)first["bogus_id"]![1]);

        // What the runtime saw after answering the first invocation arrives with the second.
        var second = (await fixture.Cli.InvokeAsync(name, """{"n":2}""")).Json!;
        Assert.Equal(202, (int?)second["previous"]!["response"]![0]);
        Assert.Equal("OK", (string?)second["previous"]!["response"]![1]!["status"]);
        Assert.Equal(400, (int?)second["previous"]!["twice"]![0]);
        Assert.Equal("InvalidRequestID", (string?)second["previous"]!["twice"]![1]);
        Assert.Null(second["client_context"]);
    }

    [Fact]
    public async Task An_init_error_posted_by_a_custom_runtime_reaches_the_caller()
    {
        var name = await fixture.DeployAsync("runtime-api", "provided.al2023", "x", "--environment", "Variables={MODE=init-error}");
        var result = await fixture.Cli.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("Custom.InitFailed", (string?)result.Json!["errorType"]);
        Assert.Equal("bootstrap could not start", (string?)result.Json["errorMessage"]);
        Assert.Contains("init/error answered 202", result.Log);
        Assert.Contains("INIT_REPORT", result.Log);
    }

    [Fact]
    public async Task An_oversized_response_is_refused_to_the_runtime_and_reported_to_the_caller()
    {
        var name = await fixture.DeployAsync("runtime-api", "provided.al2023", "x", "--environment", "Variables={MODE=too-large}", "--timeout", "10");
        var result = await fixture.Cli.InvokeAsync(name, "{}");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("Function.ResponseSizeTooLarge", (string?)result.Json!["errorType"]);
    }

    [Fact]
    public async Task The_npm_runtime_interface_client_runs_unmodified()
    {
        var ric = Path.Combine(RepoPaths.Cache, "ric", "node_modules", "aws-lambda-ric");
        Assert.True(Directory.Exists(ric), $"aws-lambda-ric is not built at {ric}: run tests/run.sh, which installs it with npm");

        var files = new List<(string, byte[])>
        {
            ("bootstrap", "#!/bin/sh\nexec /usr/bin/node node_modules/aws-lambda-ric/bin/index.mjs index.handler\n"u8.ToArray()),
            ("index.mjs", """
                export const handler = async (event, context) => {
                  console.log('ric handling', context.awsRequestId);
                  if (event.fail) throw new RangeError('ric failure');
                  return { via: 'aws-lambda-ric', event, fn: context.functionName, left: context.getRemainingTimeInMillis() };
                };
                """u8.ToArray()),
        };
        foreach (var dir in new[] { "bin", "dist" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(ric, dir), "*", SearchOption.AllDirectories))
            {
                files.Add(($"node_modules/aws-lambda-ric/{Path.GetRelativePath(ric, file)}", File.ReadAllBytes(file)));
            }
        }
        files.Add(("node_modules/aws-lambda-ric/package.json", File.ReadAllBytes(Path.Combine(ric, "package.json"))));

        var name = NodeFixture.UniqueName("ric");
        await fixture.DeployAsAsync(name, Zips.Create(files.ToArray()), "provided.al2023", "index.handler", "--timeout", "10");
        var result = await fixture.Cli.InvokeAsync(name, """{"hello":"ric"}""", "--log-type", "Tail");
        Assert.Null(result.FunctionError);
        Assert.Equal("aws-lambda-ric", (string?)result.Json!["via"]);
        Assert.Equal("ric", (string?)result.Json["event"]!["hello"]);
        Assert.Equal(name, (string?)result.Json["fn"]);
        Assert.InRange((int)result.Json["left"]!, 5000, 10000);
        Assert.Contains("ric handling", result.Log);

        var failed = await fixture.Cli.InvokeAsync(name, """{"fail":true}""");
        Assert.Equal("Unhandled", failed.FunctionError);
        Assert.Equal("RangeError", (string?)failed.Json!["errorType"]);
        Assert.Equal("ric failure", (string?)failed.Json["errorMessage"]);
    }
}
