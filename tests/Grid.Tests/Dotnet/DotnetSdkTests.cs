using Grid.Client;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Dotnet;

/// <summary>A C# function deployed and invoked end to end through the .NET SDK: typed in and out, and a function error.</summary>
public sealed class DotnetSdkTests(DotnetFixture fixture) : IClassFixture<DotnetFixture>
{
    private sealed record Order(string Item, int Quantity, decimal Price);

    private sealed record Receipt(string Item, decimal Total);

    [Fact]
    public async Task A_published_csharp_package_deploys_and_answers_typed_invokes_through_the_sdk()
    {
        using var grid = new GridClient(new GridClientOptions
        {
            Endpoint = new Uri(fixture.Node.Endpoint), AccessKeyId = fixture.Main.AccessKeyId, SecretAccessKey = fixture.Main.SecretAccessKey,
        });
        var zip = Path.Combine(fixture.Root, "test-functions.zip");
        await File.WriteAllBytesAsync(zip, fixture.TestFunctions);
        var name = NodeFixture.UniqueName("sdk-cs");
        var stages = new List<string>();
        var deployed = await grid.DeployAsync(new DeployRequest
        {
            FunctionName = name, ZipFile = zip, Runtime = "dotnet8",
            Handler = $"{DotnetFixture.TestAssembly}::{DotnetFixture.TestAssembly}.Handlers::Order",
        }, new SynchronousProgress(p => stages.Add(p.Stage)));
        Assert.Equal("dotnet8", deployed.Runtime);
        Assert.Contains("uploading", stages);

        var receipt = await grid.InvokeAsync<Order, Receipt>(name, new Order("tea", 3, 2.5m));
        Assert.Equal(new Receipt("tea", 7.5m), receipt);

        await grid.DeployAsync(new DeployRequest
        {
            FunctionName = name, ZipFile = zip, Handler = $"{DotnetFixture.TestAssembly}::{DotnetFixture.TestAssembly}.Handlers::Fail",
        });
        var error = await Assert.ThrowsAsync<FunctionErrorException>(() => grid.InvokeAsync<Order, Receipt>(name, new Order("tea", 1, 1m)));
        Assert.Equal("InvalidOperationException", error.ErrorType);
        Assert.Equal("handler failed on purpose", error.ErrorMessage);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, after the await may have returned).</summary>
    private sealed class SynchronousProgress(Action<DeployProgress> report) : IProgress<DeployProgress>
    {
        public void Report(DeployProgress value) => report(value);
    }
}
