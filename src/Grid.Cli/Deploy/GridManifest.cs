using System.Text.Json;

namespace Grid.Cli.Deploy;

/// <summary>
/// The optional `grid.json` in a function's folder: what `grid deploy` would otherwise need as flags.
/// <code>{"name":"hello","runtime":"python3.12","handler":"app.handler","memorySize":256,"timeout":10,"environment":{"STAGE":"dev"},"description":"..."}</code>
/// </summary>
public sealed record GridManifest(
    string? Name = null,
    string? Runtime = null,
    string? Handler = null,
    int? MemorySize = null,
    int? Timeout = null,
    Dictionary<string, string>? Environment = null,
    string? Description = null)
{
    public const string FileName = "grid.json";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The folder's manifest, or an empty one; a usage error that names the file when it is not valid.</summary>
    public static GridManifest Load(string folder)
    {
        var file = Path.Combine(folder, FileName);
        if (!File.Exists(file)) return new GridManifest();
        try
        {
            return JsonSerializer.Deserialize<GridManifest>(File.ReadAllText(file), Options) ?? new GridManifest();
        }
        catch (JsonException e)
        {
            throw new UsageException(
                $"{file} is not a valid manifest ({e.Message}): it is a JSON object with name, runtime, handler, memorySize, timeout, environment, description.");
        }
    }
}
