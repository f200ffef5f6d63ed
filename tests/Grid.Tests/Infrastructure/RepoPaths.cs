using System.Reflection;

namespace Grid.Tests.Infrastructure;

/// <summary>Where the repository and the built Grid.Server live, found from the test assembly's location.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } = typeof(RepoPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "Configuration").Value!;

    /// <summary>The server built with the same configuration as the tests (the ProjectReference builds it).</summary>
    public static string ServerDll => Path.Combine(Root, "src", "Grid.Server", "bin", Configuration, "net10.0", "Grid.Server.dll");

    /// <summary>Test function sources, copied next to the test assembly.</summary>
    public static string Functions => Path.Combine(AppContext.BaseDirectory, "Functions");

    /// <summary>Things tests/run.sh prepares once per machine (e.g. a built aws-lambda-ric).</summary>
    public static string Cache => Path.Combine(Root, "tests", ".cache");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Grid.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Grid.sln not found above " + AppContext.BaseDirectory);
    }
}
