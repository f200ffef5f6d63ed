using System.Text.Json;

namespace Grid.Client;

/// <summary>Where a <see cref="GridClient"/> sends its calls, how it signs them, and how long and how often it tries.</summary>
public sealed class GridClientOptions
{
    /// <summary>Any Grid node (or a load balancer in front of several), e.g. <c>http://127.0.0.1:9000</c>.</summary>
    public Uri Endpoint { get; set; } = null!;

    public string AccessKeyId { get; set; } = "";

    public string SecretAccessKey { get; set; } = "";

    /// <summary>The region in the SigV4 credential scope; must match the node's <c>Grid:Region</c>.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Per attempt; a synchronous invoke may legitimately run 15 minutes. Exceeding it raises <see cref="TimeoutException"/>.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(30);

    /// <summary>How many times a 429 (TooManyRequestsException) is retried before <see cref="GridThrottledException"/> is thrown. 0 disables retries.</summary>
    public int MaxThrottleRetries { get; set; } = 3;

    /// <summary>The first backoff delay; each retry doubles it, with jitter. A Retry-After header from the node wins.</summary>
    public TimeSpan ThrottleBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How typed invokes (de)serialize payloads. Default: camelCase, case-insensitive (what Python and Node handlers expect).</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = JsonSerializerOptions.Web;

    /// <summary>
    /// Options from the <c>grid</c> profile file (<see cref="GridProfile.DefaultConfigFile"/>) and environment variables.
    /// An explicit <paramref name="profile"/> is read from the file only. Otherwise the profile named by GRID_PROFILE (or
    /// "default") is read if present, and GRID_ENDPOINT, GRID_ACCESS_KEY_ID, GRID_SECRET_ACCESS_KEY, GRID_REGION override its values.
    /// </summary>
    public static GridClientOptions FromProfile(string? profile = null, string? configFile = null)
    {
        var file = configFile ?? GridProfile.DefaultConfigFile;
        var name = profile ?? Env("GRID_PROFILE") ?? "default";
        var found = File.Exists(file) ? GridProfile.Load(file).FirstOrDefault(p => p.Name == name) : null;
        if (profile is not null)
        {
            if (found is null)
            {
                throw new InvalidOperationException(
                    $"Grid profile '{profile}' was not found in {file}: add a [{profile}] section (endpoint, access_key_id, secret_access_key, region) or use another profile.");
            }
            return From(found.Endpoint, found.AccessKeyId, found.SecretAccessKey, found.Region);
        }

        var endpoint = Env("GRID_ENDPOINT") ?? found?.Endpoint.ToString();
        var keyId = Env("GRID_ACCESS_KEY_ID") ?? found?.AccessKeyId;
        var secret = Env("GRID_SECRET_ACCESS_KEY") ?? found?.SecretAccessKey;
        var region = Env("GRID_REGION") ?? found?.Region ?? "us-east-1";
        if (endpoint is null || keyId is null || secret is null)
        {
            throw new InvalidOperationException(
                $"No Grid connection settings: there is no [{name}] profile in {file} and GRID_ENDPOINT, GRID_ACCESS_KEY_ID and GRID_SECRET_ACCESS_KEY are not all set. " +
                "Add the profile (endpoint, access_key_id, secret_access_key, region) or set those variables.");
        }
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            throw new InvalidOperationException($"GRID_ENDPOINT '{endpoint}' is not an absolute URL: use e.g. http://127.0.0.1:9000.");
        }
        return From(uri, keyId, secret, region);
    }

    private static GridClientOptions From(Uri endpoint, string keyId, string secret, string region) =>
        new() { Endpoint = endpoint, AccessKeyId = keyId, SecretAccessKey = secret, Region = region };

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    /// <summary>Throws if the options cannot make a signed call, saying which setting is missing.</summary>
    internal void Validate()
    {
        if (Endpoint is null || !Endpoint.IsAbsoluteUri)
        {
            throw new InvalidOperationException("GridClientOptions.Endpoint must be an absolute URL of a Grid node, e.g. http://127.0.0.1:9000.");
        }
        if (string.IsNullOrEmpty(AccessKeyId) || string.IsNullOrEmpty(SecretAccessKey))
        {
            throw new InvalidOperationException(
                "GridClientOptions.AccessKeyId and SecretAccessKey must be set: use the key the node printed on first start (or `Grid.Server keys create`).");
        }
        if (string.IsNullOrEmpty(Region)) throw new InvalidOperationException("GridClientOptions.Region must be set (the node's Grid:Region, default us-east-1).");
        if (Timeout <= TimeSpan.Zero) throw new InvalidOperationException("GridClientOptions.Timeout must be positive.");
        if (MaxThrottleRetries < 0) throw new InvalidOperationException("GridClientOptions.MaxThrottleRetries must be 0 or more.");
    }
}
