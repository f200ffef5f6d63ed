using System.CommandLine;

namespace Grid.Cli;

/// <summary>Options every command accepts (recursive on the root command).</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> Profile = new("--profile")
    {
        Description = "Profile in the config file to use (default: $GRID_PROFILE, then 'default')",
        Recursive = true,
    };

    public static readonly Option<string?> Endpoint = new("--endpoint")
    {
        Description = "Grid node URL, overriding the profile's (default: $GRID_ENDPOINT)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON instead of tables",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Print details (and stack traces) of errors; also GRID_DEBUG=1",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Add(Profile);
        root.Add(Endpoint);
        root.Add(Json);
        root.Add(Verbose);
    }
}
