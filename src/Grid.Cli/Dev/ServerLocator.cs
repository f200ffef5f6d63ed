namespace Grid.Cli.Dev;

/// <summary>
/// Finds Grid.Server.dll for `grid dev`: $GRID_SERVER (the dll or its folder), next to the CLI (a published layout,
/// also in a `server/` subfolder), or the repository's build output when the CLI runs from a checkout.
/// </summary>
public static class ServerLocator
{
    public const string FileName = "Grid.Server.dll";

    public static string Find()
    {
        foreach (var candidate in Candidates())
        {
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new UsageException(
            "Grid.Server was not found: set GRID_SERVER to the path of Grid.Server.dll, or build it from the repository with `dotnet build src/Grid.Server -c Release`.");
    }

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable("GRID_SERVER") is { Length: > 0 } given)
        {
            yield return Directory.Exists(given) ? Path.Combine(given, FileName) : given;
            yield break; // an explicit choice that does not exist must not silently fall back to another build
        }
        var here = AppContext.BaseDirectory;
        yield return Path.Combine(here, FileName);
        yield return Path.Combine(here, "server", FileName);
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Grid.sln"))) continue;
            // The CLI's own configuration first (bin/Release/... when the CLI is a Release build), then the other.
            var own = new DirectoryInfo(Path.TrimEndingDirectorySeparator(here)).Parent?.Name ?? "Release";
            foreach (var configuration in new[] { own, "Release", "Debug" }.Distinct())
            {
                yield return Path.Combine(dir.FullName, "src", "Grid.Server", "bin", configuration, "net10.0", FileName);
            }
            yield break;
        }
    }
}
