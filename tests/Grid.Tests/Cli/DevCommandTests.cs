using System.Text.Json;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Cli;

/// <summary>`grid dev` starts a real node in the foreground, writes profiles for it, and stops it on SIGINT/SIGTERM.</summary>
public sealed class DevCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("grid-dev-test-").FullName;

    [Fact]
    public async Task Dev_runs_a_node_that_the_next_commands_use_and_stops_on_interrupt()
    {
        var grid = new GridCli(Path.Combine(_root, "config"));
        var port = FreePort.Next();
        var node = new Dictionary<string, string?>
        {
            ["Grid__SiloPort"] = FreePort.Next().ToString(), // the node's other ports, so parallel tests never collide
            ["Grid__GatewayPort"] = FreePort.Next().ToString(),
        };
        using var dev = grid.Start(["dev", "--port", port.ToString(), "--data", Path.Combine(_root, "data"), "--quiet"], node);
        await dev.WaitForOutputAsync(o => o.Contains("Press Ctrl-C to stop", StringComparison.Ordinal), TimeSpan.FromSeconds(90), "the dev banner");
        Assert.Contains($"http://127.0.0.1:{port}", dev.Stdout);

        // `default` did not exist, so `grid dev` wrote it too: plain commands now reach the dev node.
        var profiles = JsonDocument.Parse((await grid.RunAsync("profiles", "--json")).StandardOutput).RootElement.EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("endpoint").GetString());
        Assert.Equal($"http://127.0.0.1:{port}", profiles["dev"]);
        Assert.Equal($"http://127.0.0.1:{port}", profiles["default"]);
        var list = await grid.RunAsync("functions", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal("[]", list.StandardOutput.Trim());

        await dev.SignalAsync("INT");
        Assert.True(await dev.WaitForExitAsync(TimeSpan.FromSeconds(40)), "grid dev did not stop after SIGINT:\n" + dev.Stderr);
        Assert.Equal(0, dev.ExitCode);
        var after = await grid.RunAsync("functions", "list");
        Assert.Equal(3, after.ExitCode); // the node went with it
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
