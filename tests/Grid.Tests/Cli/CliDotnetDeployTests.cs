using System.Text.Json;
using Xunit;

namespace Grid.Tests.Cli;

/// <summary>`grid deploy` of a C# function folder: dotnet publish, zip, upload, then an invoke through the dotnet8 runtime.</summary>
public sealed class CliDotnetDeployTests
{
    // The CLI side (publish + upload) works today; the node refuses dotnet8 until the .NET runtime is wired into
    // Grid.Server (Execution/RuntimeKind.cs, FunctionValidator's supported list). Remove Skip when it is.
    private const string WaitingForServer = "Grid.Server does not run dotnet8 functions yet (src/Grid.Runtime.Dotnet is not wired into the node)";

    [Fact(Skip = WaitingForServer)]
    public async Task Deploys_the_csharp_sample_with_dotnet_publish_and_invokes_it()
    {
        var fixture = new CliFixture(); // started here, not as a class fixture: no node while the test is skipped
        await fixture.InitializeAsync();
        try
        {
            await DeployAndInvokeAsync(fixture);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private static async Task DeployAndInvokeAsync(CliFixture fixture)
    {
        var name = Infrastructure.NodeFixture.UniqueName("cli-cs");
        var folder = CliFixture.Sample("hello-csharp");
        var deployed = await fixture.Grid.RunAsync(["deploy", folder, "--name", name, "--handler", "Hello::Hello.Function::Handle"], stdin: "",
            timeout: TimeSpan.FromMinutes(5));
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        Assert.Contains("dotnet publish", deployed.StandardError);
        Assert.Matches(@"Runtime\s+dotnet8", deployed.StandardOutput);

        var invoked = await fixture.Grid.RunAsync("invoke", name, "--payload", """{"name":"grid"}""");
        Assert.True(invoked.ExitCode == 0, invoked.ToString());
        Assert.Equal("Hello, grid!", JsonDocument.Parse(invoked.StandardOutput).RootElement.GetProperty("message").GetString());
    }
}
