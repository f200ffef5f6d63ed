using Grid.Tests.Infrastructure;

namespace Grid.Tests.Dotnet;

/// <summary>
/// C# function packages, built the way users build them: <c>dotnet publish -c Release</c>, then a zip of the publish
/// folder. Built once per test run (publishing takes a while on 2 cores); bin/obj go to a temp folder, not the tree.
/// </summary>
public static class FunctionPackages
{
    private static readonly Lazy<Task<byte[]>> TestFunctionsBuild = new(() =>
        PublishAsync(Path.Combine(RepoPaths.Root, "tests", "Grid.Tests", "Dotnet", "Functions", "DotnetTestFunctions", "DotnetTestFunctions.csproj")));

    private static readonly Lazy<Task<byte[]>> SampleBuild = new(() =>
        PublishAsync(Path.Combine(RepoPaths.Root, "samples", "hello-csharp", "Hello.csproj")));

    /// <summary>tests/Grid.Tests/Dotnet/Functions/DotnetTestFunctions (reflection serialization).</summary>
    public static Task<byte[]> TestFunctions => TestFunctionsBuild.Value;

    /// <summary>samples/hello-csharp (a source-generated serializer context).</summary>
    public static Task<byte[]> Sample => SampleBuild.Value;

    private static async Task<byte[]> PublishAsync(string project)
    {
        var work = Directory.CreateTempSubdirectory("grid-dotnet-fn-").FullName;
        try
        {
            var output = Path.Combine(work, "publish");
            var result = await ProcessRunner.RunAsync("dotnet",
                ["publish", project, "-c", "Release", "-o", output, "--artifacts-path", Path.Combine(work, "artifacts"), "-nodeReuse:false"],
                new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
                timeout: TimeSpan.FromMinutes(6));
            if (result.ExitCode != 0) throw new InvalidOperationException("dotnet publish failed:\n" + result);
            return Zips.FromDirectory(output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
