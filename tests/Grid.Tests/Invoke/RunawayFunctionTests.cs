using System.Diagnostics;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Invoke;

/// <summary>A function that loops, hogs memory, floods output or forks hurts only itself; the node keeps serving.</summary>
public sealed class RunawayFunctionTests(InvokeFixture fixture) : IClassFixture<InvokeFixture>
{
    private Task<string> DeployAsync(string handler, params string[] extra) =>
        fixture.DeployAsync("python", "python3.11", "app." + handler, extra);

    private async Task NodeStillServesAsync()
    {
        var echo = await fixture.DeployAsync("python", "python3.11", "app.echo");
        var result = await fixture.Cli.InvokeAsync(echo, """{"still":"serving"}""");
        Assert.Equal("serving", (string?)result.Json!["still"]);
        Assert.False(fixture.Node.HasExited);
    }

    private long NodeResidentMegabytes()
    {
        var status = File.ReadAllLines($"/proc/{fixture.Node.ProcessId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }

    [Fact]
    public async Task A_memory_hog_is_stopped_by_its_limit()
    {
        var name = await DeployAsync("hog", "--memory-size", "128", "--timeout", "20");
        var started = Stopwatch.StartNew();
        var result = await fixture.Cli.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Contains((string?)result.Json!["errorType"], new[] { "Runtime.OutOfMemory", "Runtime.ExitError", "MemoryError" });
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), "stopped by the memory limit, not the timeout");
        await NodeStillServesAsync();
    }

    [Fact]
    public async Task A_hundred_megabytes_of_stdout_does_not_hurt_the_node()
    {
        var name = await DeployAsync("flood", "--timeout", "60");
        var result = await fixture.Cli.InvokeAsync(name, "{}", "--log-type", "Tail");
        Assert.Equal("flooded", (string?)result.Json);
        Assert.True(result.Log!.Length <= 4096 + 1024, "Tail carries only the end of the log");
        Assert.Contains("REPORT RequestId", result.Log);
        Assert.True(NodeResidentMegabytes() < 1024, $"node RSS {NodeResidentMegabytes()} MB after the flood");
        await NodeStillServesAsync();
    }

    [Fact]
    public async Task An_infinite_loop_is_killed_at_its_timeout()
    {
        var name = await DeployAsync("spin", "--timeout", "2");
        var started = Stopwatch.StartNew();
        var result = await fixture.Cli.InvokeAsync(name, "{}");
        Assert.Equal("Sandbox.Timedout", (string?)result.Json!["errorType"]);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
        await NodeStillServesAsync();
    }

    [Fact]
    public async Task A_fork_bomb_is_contained()
    {
        if (fixture.Node.Output.Contains("memory/pids limits: NONE", StringComparison.Ordinal))
        {
            // Without a pids cgroup nothing bounds a fork bomb; the node must have said so at start.
            Assert.Contains("FUNCTIONS ARE NOT FULLY ISOLATED", fixture.Node.Output);
            return;
        }
        var name = await DeployAsync("forkbomb", "--timeout", "3");
        var result = await fixture.Cli.InvokeAsync(name, "{}");
        // Stopped by its pids limit and timeout, or by its memory limit, whichever the bomb hits first.
        Assert.Contains((string?)result.Json!["errorType"], new[] { "Sandbox.Timedout", "Runtime.OutOfMemory" });
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (fixture.Node.DescendantProcesses().Count > 100 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(fixture.Node.DescendantProcesses().Count <= 100, "the bomb's processes were all killed");
        await NodeStillServesAsync();
    }
}
