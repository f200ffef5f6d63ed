using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Invoke;

/// <summary>Where a host cannot isolate, the node says so at start and still runs functions.</summary>
public sealed class UnisolatedHostTests(UnisolatedInvokeFixture fixture) : IClassFixture<UnisolatedInvokeFixture>
{
    [Fact]
    public async Task The_node_warns_and_functions_still_run()
    {
        Assert.Contains("FUNCTIONS ARE NOT FULLY ISOLATED", fixture.Node.Output);
        Assert.Contains("namespaces: NONE, memory/pids limits: NONE", fixture.Node.Output);

        var python = await fixture.DeployAsync("python", "python3.11", "app.env", "--environment", "Variables={STAGE=bare}");
        var env = (await fixture.Cli.InvokeAsync(python, """{"names":["STAGE","AWS_LAMBDA_FUNCTION_NAME","LAMBDA_TASK_ROOT"]}""")).Json!;
        Assert.Equal("bare", (string?)env["STAGE"]);
        Assert.Equal(python, (string?)env["AWS_LAMBDA_FUNCTION_NAME"]);
        Assert.True(Directory.Exists((string)env["LAMBDA_TASK_ROOT"]!), "the task root is the unpacked code on the host");

        var node = await fixture.DeployAsync("node-cjs", "nodejs20.x", "index.echo");
        Assert.Equal(1, (int?)(await fixture.Cli.InvokeAsync(node, """{"x":1}""")).Json!["x"]);

        var provided = await fixture.DeployAsync("provided", "provided", "h");
        Assert.Equal("h", (string?)(await fixture.Cli.InvokeAsync(provided, "{}")).Json!["handler"]);

        var timeout = await fixture.DeployAsync("python", "python3.11", "app.spin", "--timeout", "1");
        Assert.Equal("Sandbox.Timedout", (string?)(await fixture.Cli.InvokeAsync(timeout, "{}")).Json!["errorType"]);
    }
}
