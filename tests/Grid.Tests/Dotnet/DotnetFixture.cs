using Grid.Tests.Infrastructure;
using Grid.Tests.Invoke;

namespace Grid.Tests.Dotnet;

/// <summary>An embedded node plus the published C# packages (built while the node starts).</summary>
public sealed class DotnetFixture : InvokeFixture
{
    public const string TestAssembly = "DotnetTestFunctions";

    public byte[] TestFunctions { get; private set; } = [];
    public byte[] Sample { get; private set; } = [];

    public override async Task InitializeAsync()
    {
        var packages = Task.WhenAll(FunctionPackages.TestFunctions, FunctionPackages.Sample);
        await base.InitializeAsync();
        var built = await packages;
        (TestFunctions, Sample) = (built[0], built[1]);
    }

    /// <summary>Deploys a handler of the test functions ("Handlers::Order" is DotnetTestFunctions::DotnetTestFunctions.Handlers::Order).</summary>
    public async Task<string> DeployTestAsync(string typeAndMethod, params string[] extra)
    {
        var name = UniqueName("cs");
        await DeployAsAsync(name, TestFunctions, "dotnet8", $"{TestAssembly}::{TestAssembly}.{typeAndMethod}", extra);
        return name;
    }
}
