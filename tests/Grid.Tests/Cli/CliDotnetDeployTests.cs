using System.Text.Json;
using Xunit;

namespace Grid.Tests.Cli;

/// <summary>`grid deploy` of a C# function folder: dotnet publish, zip, upload (handler from its grid.json), then an invoke on dotnet8.</summary>
public sealed class CliDotnetDeployTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    [Fact]
    public async Task Deploys_the_csharp_sample_with_dotnet_publish_and_invokes_it()
    {
        var name = Infrastructure.NodeFixture.UniqueName("cli-cs");
        var deployed = await fixture.Grid.RunAsync(["deploy", CliFixture.Sample("hello-csharp"), "--name", name], stdin: "",
            timeout: TimeSpan.FromMinutes(5));
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        Assert.Contains("dotnet publish", deployed.StandardError);
        Assert.Matches(@"Runtime\s+dotnet8", deployed.StandardOutput);

        var invoked = await fixture.Grid.RunAsync("invoke", name, "--payload", """{"name":"grid"}""");
        Assert.True(invoked.ExitCode == 0, invoked.ToString());
        Assert.Equal("Hello, grid!", JsonDocument.Parse(invoked.StandardOutput).RootElement.GetProperty("message").GetString());
    }
}
