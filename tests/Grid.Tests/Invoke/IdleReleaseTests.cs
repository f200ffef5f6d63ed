using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Invoke;

/// <summary>Scale to zero: an idle environment's processes end after the keep-alive window.</summary>
public sealed class IdleReleaseTests(ShortIdleInvokeFixture fixture) : IClassFixture<ShortIdleInvokeFixture>
{
    [Fact]
    public async Task Idle_environments_end_after_the_window_and_the_next_invoke_starts_cold()
    {
        var name = await fixture.DeployAsync("python", "python3.11", "app.whoami");
        var first = await fixture.Cli.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Contains("Init Duration", first.Log);
        Assert.NotEmpty(fixture.Node.DescendantProcesses());

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (fixture.Node.DescendantProcesses().Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Empty(fixture.Node.DescendantProcesses());

        var second = await fixture.Cli.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Contains("Init Duration", second.Log);
        Assert.NotEqual((string?)first.Json!["environment"], (string?)second.Json!["environment"]);
    }
}
