using System.Text.Json;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Cli;

/// <summary>
/// The `grid` CLI as a user runs it: a real process against a real node, with its own config file. Exit codes,
/// stdout (what scripts read) and stderr (what people read) are the contract.
/// </summary>
public sealed class CliTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    private GridCli Grid => fixture.Grid;

    [Fact]
    public async Task Configure_writes_profiles_that_profiles_lists_and_deletes()
    {
        var saved = await Grid.RunAsync("configure", "--profile", "staging", "--endpoint", "http://10.1.2.3:9000",
            "--access-key-id", "AKIDSTAGING", "--secret-access-key", "s3cret", "--region", "eu-west-1");
        Assert.True(saved.ExitCode == 0, saved.ToString());
        Assert.Contains("Saved profile staging", saved.StandardOutput);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Grid.ConfigFile));

        var list = await Grid.RunAsync("profiles", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var profiles = JsonDocument.Parse(list.StandardOutput).RootElement.EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal(fixture.Node.Endpoint, profiles["default"].GetProperty("endpoint").GetString());
        Assert.True(profiles["default"].GetProperty("active").GetBoolean());
        Assert.Equal("eu-west-1", profiles["staging"].GetProperty("region").GetString());
        Assert.False(profiles["staging"].GetProperty("active").GetBoolean());

        var table = await Grid.RunAsync("profiles");
        Assert.Contains("http://10.1.2.3:9000", table.StandardOutput);
        Assert.DoesNotContain("s3cret", table.StandardOutput); // secrets are never printed

        var deleted = await Grid.RunAsync("profiles", "delete", "staging");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.DoesNotContain("staging", (await Grid.RunAsync("profiles")).StandardOutput);
        var again = await Grid.RunAsync("profiles", "delete", "staging");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("no profile 'staging'", again.StandardError);
    }

    [Fact]
    public async Task Configure_without_a_terminal_names_the_missing_flag()
    {
        var result = await Grid.RunAsync("configure", "--profile", "partial", "--endpoint", "http://127.0.0.1:1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--access-key-id is required", result.StandardError);
    }

    [Fact]
    public async Task Without_any_configuration_commands_say_how_to_configure()
    {
        var empty = new GridCli(Path.Combine(fixture.Root, "no-such-config"));
        var result = await empty.RunAsync("functions", "list");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No Grid endpoint configured: run `grid configure`", result.StandardError);
        Assert.Single(result.StandardError.Trim().Split('\n')); // one line, no stack trace
    }

    [Fact]
    public async Task A_node_that_is_down_is_a_grid_error_with_advice()
    {
        var result = await Grid.RunAsync("--endpoint", $"http://127.0.0.1:{FreePort.Next()}", "functions", "list");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("grid dev", result.StandardError);
    }

    [Fact]
    public async Task A_wrong_flag_is_a_usage_error()
    {
        var result = await Grid.RunAsync("invoke", "hello-python", "--no-such-flag");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("grid invoke --help", result.StandardError);
    }

    [Fact]
    public async Task Deploys_the_python_sample_from_its_manifest_and_invokes_it()
    {
        var deployed = await fixture.HelloPythonAsync();
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        Assert.Contains("arn:aws:lambda:us-east-1:000000000000:function:hello-python", deployed.StandardOutput);
        Assert.Matches(@"SHA-256\s+\S{44}", deployed.StandardOutput);

        var invoked = await Grid.RunAsync("invoke", "hello-python", "--payload", """{"name":"grid"}""");
        Assert.True(invoked.ExitCode == 0, invoked.ToString());
        var body = JsonDocument.Parse(invoked.StandardOutput).RootElement; // stdout is exactly the function's answer
        Assert.Equal("Hello, grid!", body.GetProperty("message").GetString());

        var fromStdin = await Grid.RunAsync(["invoke", "hello-python", "--logs"], stdin: """{"name":"pipe"}""");
        Assert.True(fromStdin.ExitCode == 0, fromStdin.ToString());
        Assert.Contains("Hello, pipe!", fromStdin.StandardOutput);
        Assert.Contains("greeting pipe from hello-python", fromStdin.StandardError); // --logs: the log tail on stderr
        Assert.DoesNotContain("START RequestId", fromStdin.StandardOutput);
    }

    [Fact]
    public async Task Deploys_a_node_folder_with_flags_only()
    {
        var folder = fixture.CopyFolder(CliFixture.Sample("hello-node"), skip: "grid.json");
        var name = NodeFixture.UniqueName("cli-node");
        var deployed = await Grid.RunAsync("deploy", folder, "--name", name, "--runtime", "nodejs20.x", "--handler", "index.handler",
            "--memory", "256", "--timeout", "5", "--env", "GREETING=Hey", "--description", "from flags");
        Assert.True(deployed.ExitCode == 0, deployed.ToString());

        var invoked = await Grid.RunAsync("invoke", name, "--payload", "{}");
        Assert.True(invoked.ExitCode == 0, invoked.ToString());
        Assert.Equal("Hey, world!", JsonDocument.Parse(invoked.StandardOutput).RootElement.GetProperty("message").GetString());

        var shown = JsonDocument.Parse((await Grid.RunAsync("functions", "show", name, "--json")).StandardOutput).RootElement;
        Assert.Equal(256, shown.GetProperty("memorySize").GetInt32());
        Assert.Equal(5, shown.GetProperty("timeout").GetInt32());
        Assert.Equal("from flags", shown.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Deploying_a_new_function_without_a_handler_says_what_to_add()
    {
        var folder = fixture.CopyFolder(CliFixture.Sample("hello-node"), skip: "grid.json");
        var noName = await Grid.RunAsync("deploy", folder);
        Assert.Equal(2, noName.ExitCode);
        Assert.Contains("add --name", noName.StandardError);

        var noHandler = await Grid.RunAsync("deploy", folder, "--name", NodeFixture.UniqueName("cli"), "--runtime", "nodejs20.x");
        Assert.Equal(2, noHandler.ExitCode);
        Assert.Contains("add --handler", noHandler.StandardError);
    }

    [Fact]
    public async Task A_failing_function_exits_1_with_its_error_on_stderr()
    {
        Assert.Equal(0, (await fixture.HelloPythonAsync()).ExitCode);
        var result = await Grid.RunAsync("invoke", "hello-python", "--payload", """{"fail":true}""");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("ValueError: asked to fail", result.StandardError);
        Assert.Equal("", result.StandardOutput);
    }

    [Fact]
    public async Task Invoking_an_unknown_function_exits_3()
    {
        var result = await Grid.RunAsync("invoke", "no-such-function", "--payload", "{}");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("not found", result.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", result.StandardError); // no stack trace without --verbose
    }

    [Fact]
    public async Task Functions_list_json_is_parseable()
    {
        Assert.Equal(0, (await fixture.HelloPythonAsync()).ExitCode);
        var result = await Grid.RunAsync("functions", "list", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var functions = JsonDocument.Parse(result.StandardOutput).RootElement.EnumerateArray().ToList();
        var hello = functions.Single(f => f.GetProperty("functionName").GetString() == "hello-python");
        Assert.Equal("python3.11", hello.GetProperty("runtime").GetString());
        Assert.Equal("app.handler", hello.GetProperty("handler").GetString());

        var table = await Grid.RunAsync("functions", "list");
        Assert.Matches(@"hello-python\s+python3\.11\s+app\.handler", table.StandardOutput);
    }

    [Fact]
    public async Task Publish_and_a_weighted_alias_split_traffic()
    {
        var name = NodeFixture.UniqueName("cli-canary");
        var folder = Path.Combine(fixture.Root, name);
        Directory.CreateDirectory(folder);
        foreach (var version in new[] { "v1", "v2" })
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "app.py"), $"def handler(e, c):\n    return '{version}'\n");
            var deployed = await Grid.RunAsync("deploy", folder, "--name", name, "--runtime", "python3.11", "--handler", "app.handler");
            Assert.True(deployed.ExitCode == 0, deployed.ToString());
            var published = await Grid.RunAsync("publish", name, "--description", version);
            Assert.True(published.ExitCode == 0, published.ToString());
            Assert.Contains($"version {version[1..]}", published.StandardOutput);
        }

        var set = await Grid.RunAsync("alias", "set", name, "live", "1", "--weight", "2=0.5");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("1 (50%), 2 (50%)", set.StandardOutput);
        var aliases = JsonDocument.Parse((await Grid.RunAsync("alias", "list", name, "--json")).StandardOutput).RootElement;
        var live = Assert.Single(aliases.EnumerateArray());
        Assert.Equal("1", live.GetProperty("functionVersion").GetString());
        Assert.Equal(0.5, live.GetProperty("additionalVersionWeights").GetProperty("2").GetDouble());

        var seen = new HashSet<string>();
        for (var i = 0; i < 14 && seen.Count < 2; i++)
        {
            var invoked = await Grid.RunAsync("invoke", name, "--qualifier", "live", "--payload", "{}");
            Assert.True(invoked.ExitCode == 0, invoked.ToString());
            seen.Add(invoked.StandardOutput.Trim());
        }
        Assert.Equal(["\"v1\"", "\"v2\""], seen.Order());

        Assert.Equal(0, (await Grid.RunAsync("alias", "set", name, "live", "2")).ExitCode); // promote: the split is cleared
        Assert.Equal("\"v2\"", (await Grid.RunAsync("invoke", name, "--qualifier", "live", "--payload", "{}")).StandardOutput.Trim());
        Assert.Equal(0, (await Grid.RunAsync("alias", "delete", name, "live")).ExitCode);
        Assert.Contains("No aliases", (await Grid.RunAsync("alias", "list", name)).StandardError);
    }

    [Fact]
    public async Task Concurrency_is_set_shown_and_cleared()
    {
        Assert.Equal(0, (await fixture.HelloPythonAsync()).ExitCode);
        var set = await Grid.RunAsync("concurrency", "hello-python", "--reserved", "3");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("reserved concurrency 3", set.StandardOutput);

        var shown = JsonDocument.Parse((await Grid.RunAsync("concurrency", "hello-python", "--json")).StandardOutput).RootElement;
        Assert.Equal(3, shown.GetProperty("reservedConcurrentExecutions").GetInt32());

        Assert.Equal(0, (await Grid.RunAsync("concurrency", "hello-python", "--clear")).ExitCode);
        var cleared = await Grid.RunAsync("concurrency", "hello-python");
        Assert.Contains("no reservation", cleared.StandardOutput);
        Assert.Equal(2, (await Grid.RunAsync("concurrency", "hello-python", "--reserved", "1", "--clear")).ExitCode);
    }

    [Fact]
    public async Task Logs_show_one_invocation_by_request_id()
    {
        Assert.Equal(0, (await fixture.HelloPythonAsync()).ExitCode);
        var requestId = await InvokeForRequestIdAsync("hello-python", """{"name":"logs"}""");
        ProcessResult logs = null!;
        for (var attempt = 0; attempt < 30; attempt++) // the node writes logs in batches (every 100 ms)
        {
            logs = await Grid.RunAsync("logs", "hello-python", "--request-id", requestId);
            if (logs.StandardOutput.Contains("END RequestId: " + requestId, StringComparison.Ordinal)) break;
            await Task.Delay(200);
        }
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains("START RequestId: " + requestId, logs.StandardOutput);
        Assert.Contains("greeting logs from hello-python", logs.StandardOutput);
        Assert.Contains("END RequestId: " + requestId, logs.StandardOutput);
        Assert.Contains("REPORT RequestId: " + requestId, logs.StandardOutput);
    }

    [Fact]
    public async Task Logs_follow_prints_new_invocations_as_they_finish()
    {
        Assert.Equal(0, (await fixture.HelloPythonAsync()).ExitCode);
        var before = await InvokeForRequestIdAsync("hello-python", "{}");
        using var follow = Grid.Start(["logs", "hello-python", "--follow"]);
        // The follow first replays recent invocations: seeing this one means it is connected and subscribed.
        await follow.WaitForOutputAsync(o => o.Contains("END RequestId: " + before, StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the earlier invocation");

        var after = await InvokeForRequestIdAsync("hello-python", """{"name":"follow"}""");
        await follow.WaitForOutputAsync(o => o.Contains("END RequestId: " + after, StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the new invocation");
        Assert.Contains("greeting follow from hello-python", follow.Stdout);
        Assert.False(follow.HasExited); // still following until it is stopped
    }

    [Fact]
    public async Task Top_shows_invocations_live_in_a_terminal_and_quits_on_q()
    {
        Assert.Equal(0, (await fixture.HelloPythonAsync()).ExitCode);
        await using var tmux = await Tmux.StartAsync($"{Tmux.Env(Grid.Environment())} dotnet {GridCli.Dll} top --interval 300ms");
        await tmux.WaitForScreenAsync(screen => screen.Contains("INVOCATIONS", StringComparison.Ordinal), "the table header");
        var before = InvocationsOnScreen(await tmux.CaptureAsync(), "hello-python") ?? 0;
        for (var i = 0; i < 3; i++) Assert.Equal(0, (await Grid.RunAsync("invoke", "hello-python", "--payload", "{}")).ExitCode);
        await tmux.WaitForScreenAsync(screen => InvocationsOnScreen(screen, "hello-python") >= before + 3, "hello-python's 3 new invocations");

        await tmux.SendKeysAsync("q");
        await tmux.WaitForEndAsync();
    }

    /// <summary>The INVOCATIONS column of a function's row in `grid top`, if it is on screen.</summary>
    private static long? InvocationsOnScreen(string screen, string function)
    {
        var row = screen.Split('\n').Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(cells => cells.Length > 2 && cells[0] == function);
        return row is not null && long.TryParse(row[1], out var n) ? n : null;
    }

    private async Task<string> InvokeForRequestIdAsync(string function, string payload)
    {
        var result = await Grid.RunAsync("invoke", function, "--payload", payload, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("requestId").GetString()!;
    }
}
