using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Hosting;

/// <summary>Starting a node the way the README says: first-start key, configuration validation, clear errors.</summary>
public sealed class NodeStartTests
{
    [Fact]
    public async Task First_start_creates_a_development_key_that_the_cli_can_use()
    {
        var data = Directory.CreateTempSubdirectory("grid-start-").FullName;
        try
        {
            await using (var node = await GridNode.StartAsync(data))
            {
                Assert.Contains("Created a development access key for account 000000000000", node.Output);
                Assert.Contains("aws configure set aws_access_key_id", node.Output);
                var credentials = Credentials.FromCredentialsFile(Path.Combine(data, "credentials"), "000000000000");
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "credentials")));
                var listed = await new AwsCli(node.Endpoint, credentials).OkAsync("lambda", "list-functions");
                Assert.Empty(listed["Functions"]!.AsArray());
            }

            // A restart keeps the key and does not create another.
            await using var restarted = await GridNode.StartAsync(data);
            Assert.DoesNotContain("Created a development access key", restarted.Output);
            var again = Credentials.FromCredentialsFile(Path.Combine(data, "credentials"), "000000000000");
            await new AwsCli(restarted.Endpoint, again).OkAsync("lambda", "list-functions");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Invalid_configuration_is_refused_with_a_message_that_says_what_to_fix()
    {
        var result = await GridNode.RunCommandAsync(new Dictionary<string, string?> { ["Grid__Region"] = "moon" }, "--port", "70000");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Invalid configuration", result.StandardError);
        Assert.Contains("Port", result.StandardError);
        Assert.Contains("Region", result.StandardError);
        Assert.Contains("--port 9000", result.StandardError);
    }

    [Fact]
    public async Task A_taken_port_is_reported_plainly()
    {
        var data = Directory.CreateTempSubdirectory("grid-port-").FullName;
        try
        {
            await using var node = await GridNode.StartAsync(data);
            var clash = await GridNode.RunCommandAsync("--port", node.Port.ToString(),
                "--data", Path.Combine(data, "second"), "--silo-port", FreePort.Next().ToString(), "--gateway-port", FreePort.Next().ToString());
            Assert.NotEqual(0, clash.ExitCode);
            Assert.Contains($"Port {node.Port} on 127.0.0.1 is already in use", clash.StandardError + clash.StandardOutput);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
