using System.Diagnostics;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Dotnet;

/// <summary>C# functions' init errors, deadline, timeout and memory limit.</summary>
public sealed class DotnetLifecycleTests(DotnetFixture fixture) : IClassFixture<DotnetFixture>
{
    private AwsCli Aws => fixture.Cli;

    [Theory]
    [InlineData("DotnetTestFunctions::DotnetTestFunctions.Handlers", "Runtime.MalformedHandlerName", "The valid format is 'ASSEMBLY::TYPE::METHOD'")]
    [InlineData("Missing::DotnetTestFunctions.Handlers::Order", "Runtime.ImportModuleError", "Could not find the specified handler assembly with the file name 'Missing'")]
    [InlineData("DotnetTestFunctions::DotnetTestFunctions.Nope::Order", "Runtime.HandlerNotFound", "Unable to load type 'DotnetTestFunctions.Nope' from assembly 'DotnetTestFunctions'")]
    [InlineData("DotnetTestFunctions::DotnetTestFunctions.Handlers::Nope", "Runtime.HandlerNotFound", "Found no methods matching method name 'Nope'")]
    [InlineData("DotnetTestFunctions::DotnetTestFunctions.Handlers::Overloaded", "Runtime.HandlerNotFound", "has 2 overloads")]
    [InlineData("DotnetTestFunctions::DotnetTestFunctions.FailingConstructor::Handle", "FormatException", "constructor failed on purpose")]
    public async Task Init_errors_say_what_is_wrong(string handler, string errorType, string message)
    {
        var name = NodeFixture.UniqueName("cs-init");
        await fixture.DeployAsAsync(name, fixture.TestFunctions, "dotnet8", handler);
        var result = await Aws.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal(errorType, (string?)result.Json!["errorType"]);
        Assert.Contains(message, (string?)result.Json["errorMessage"]);
        Assert.Contains("INIT_REPORT", result.Log);
    }

    [Fact]
    public async Task The_cancellation_token_fires_shortly_before_the_deadline()
    {
        var name = await fixture.DeployTestAsync("Handlers::UntilCancelled", "--timeout", "3");
        var result = await Aws.InvokeAsync(name, "{}");
        Assert.Null(result.FunctionError);
        Assert.InRange(long.Parse(result.Payload), 0, 1000); // ~500 ms were left (less on a loaded machine); the timeout did not strike
    }

    [Fact]
    public async Task A_handler_past_its_timeout_is_stopped()
    {
        var name = await fixture.DeployTestAsync("Handlers::Sleep", "--timeout", "2");
        var started = Stopwatch.StartNew();
        var result = await Aws.InvokeAsync(name, "60000");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Equal("Sandbox.Timedout", (string?)result.Json!["errorType"]);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(20));

        var next = await Aws.InvokeAsync(name, "1", "--log-type", "Tail");
        Assert.Null(next.FunctionError);
        Assert.Contains("Init Duration", next.Log); // a fresh environment replaced the stopped one
    }

    [Fact]
    public async Task A_memory_hog_is_stopped_by_its_limit()
    {
        var name = await fixture.DeployTestAsync("Handlers::Hog", "--memory-size", "128", "--timeout", "30");
        var started = Stopwatch.StartNew();
        var result = await Aws.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Contains((string?)result.Json!["errorType"], new[] { "OutOfMemoryException", "Runtime.OutOfMemory" });
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), "stopped by the memory limit, not the timeout");

        var next = await Aws.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", next.FunctionError);
        Assert.Contains("Init Duration", next.Log); // the environment that ran out of memory was replaced
    }
}
