using Grid.Client;

namespace Grid.Cli.Config;

/// <summary>
/// Where commands send their calls: the profile (--profile, $GRID_PROFILE or "default") from the config file,
/// GRID_* environment variables over it, and --endpoint over everything.
/// </summary>
public static class Connection
{
    public static string ConfigFile => GridProfile.DefaultConfigFile;

    public static GridClientOptions Resolve(string? profile, string? endpoint)
    {
        GridClientOptions options;
        try
        {
            options = GridClientOptions.FromProfile(profile, ConfigFile);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(Explain(profile, e.Message));
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"{e.Message} (or run `grid configure` to rewrite the profile)");
        }
        if (endpoint is not null)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new UsageException($"--endpoint '{endpoint}' is not an http(s) URL: use e.g. --endpoint http://127.0.0.1:9000.");
            }
            options.Endpoint = uri;
        }
        return options;
    }

    /// <summary>The SDK's message names every source; a first-time user just needs to know which command sets things up.</summary>
    private static string Explain(string? profile, string message)
    {
        var nothingConfigured = profile is null && GridProfile.Load(ConfigFile).Count == 0
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GRID_ENDPOINT"));
        return nothingConfigured
            ? $"No Grid endpoint configured: run `grid configure` (or `grid dev` for a local node), or set GRID_ENDPOINT, GRID_ACCESS_KEY_ID and GRID_SECRET_ACCESS_KEY. (Looked in {ConfigFile}.)"
            : message;
    }
}
