using Grid.Tests.Infrastructure;

namespace Grid.Tests.Invoke;

/// <summary>An embedded node plus helpers to deploy the test functions under Functions/.</summary>
public class InvokeFixture : EmbeddedNodeFixture
{
    /// <summary>Creates a function from a folder under Functions/ and returns its (unique) name.</summary>
    public async Task<string> DeployAsync(string folder, string runtime, string handler, params string[] extra)
    {
        var name = UniqueName(folder);
        await DeployAsAsync(name, Zips.FromDirectory(Path.Combine(RepoPaths.Functions, folder)), runtime, handler, extra);
        return name;
    }

    public async Task DeployAsAsync(string name, byte[] zip, string runtime, string handler, params string[] extra) =>
        await Cli.OkAsync(["lambda", "create-function", "--function-name", name, "--runtime", runtime, "--handler", handler,
            "--role", $"arn:aws:iam::{Main.AccountId}:role/test", "--zip-file", Zips.ToFileArgument(zip), .. extra]);
}

/// <summary>A node whose idle environments end after two seconds, to watch scale-to-zero.</summary>
public sealed class ShortIdleInvokeFixture : InvokeFixture
{
    protected override IReadOnlyDictionary<string, string> NodeEnvironment =>
        new Dictionary<string, string> { ["Grid__IdleEnvironmentTimeout"] = "00:00:02" };
}

/// <summary>A node told not to isolate functions: the path hosts without bubblewrap or cgroups take.</summary>
public sealed class UnisolatedInvokeFixture : InvokeFixture
{
    protected override IReadOnlyDictionary<string, string> NodeEnvironment =>
        new Dictionary<string, string> { ["Grid__DisableIsolation"] = "true" };
}
