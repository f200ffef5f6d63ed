using System.Text;

namespace Grid.Client;

/// <summary>
/// A named connection in the <c>grid</c> config file (shared with the <c>grid</c> CLI), INI-like:
/// <code>
/// [default]
/// endpoint = http://127.0.0.1:9000
/// access_key_id = ...
/// secret_access_key = ...
/// region = us-east-1
/// </code>
/// </summary>
public sealed record GridProfile(string Name, Uri Endpoint, string AccessKeyId, string SecretAccessKey, string Region)
{
    /// <summary>$GRID_CONFIG_FILE, or ~/.grid/config.</summary>
    public static string DefaultConfigFile =>
        Environment.GetEnvironmentVariable("GRID_CONFIG_FILE") is { Length: > 0 } file
            ? file
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".grid", "config");

    /// <summary>Every profile in the file (none if the file does not exist).</summary>
    public static IReadOnlyList<GridProfile> Load(string? configFile = null)
    {
        var file = configFile ?? DefaultConfigFile;
        if (!File.Exists(file)) return [];
        var profiles = new List<GridProfile>();
        foreach (var (name, values, line) in Sections(File.ReadAllLines(file)))
        {
            string Required(string key) => values.TryGetValue(key, out var v) && v.Length > 0 ? v
                : throw new InvalidDataException($"Profile [{name}] (line {line} of {file}) has no '{key}': add `{key} = ...` to it.");
            var endpoint = Required("endpoint");
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
            {
                throw new InvalidDataException($"Profile [{name}] in {file}: endpoint '{endpoint}' is not an absolute URL (e.g. http://127.0.0.1:9000).");
            }
            profiles.Add(new GridProfile(name, uri, Required("access_key_id"), Required("secret_access_key"),
                values.TryGetValue("region", out var region) && region.Length > 0 ? region : "us-east-1"));
        }
        return profiles;
    }

    /// <summary>Creates or replaces the profile's section, keeping every other line; the file is readable by its owner only.</summary>
    public static void Save(GridProfile profile, string? configFile = null)
    {
        if (profile.Name.Length == 0 || profile.Name.IndexOfAny(['[', ']', '\n', '\r']) >= 0)
        {
            throw new ArgumentException($"'{profile.Name}' is not a valid profile name: use letters, digits, '-' or '_'.", nameof(profile));
        }
        var file = configFile ?? DefaultConfigFile;
        var lines = File.Exists(file) ? WithoutSection(File.ReadAllLines(file), profile.Name, out _) : [];
        while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count > 0) lines.Add("");
        lines.Add($"[{profile.Name}]");
        lines.Add($"endpoint = {profile.Endpoint.ToString().TrimEnd('/')}");
        lines.Add($"access_key_id = {profile.AccessKeyId}");
        lines.Add($"secret_access_key = {profile.SecretAccessKey}");
        lines.Add($"region = {profile.Region}");
        Write(file, lines);
    }

    /// <summary>Removes the profile's section; false if there was none.</summary>
    public static bool Remove(string name, string? configFile = null)
    {
        var file = configFile ?? DefaultConfigFile;
        if (!File.Exists(file)) return false;
        var lines = WithoutSection(File.ReadAllLines(file), name, out var removed);
        if (removed) Write(file, lines);
        return removed;
    }

    private static IEnumerable<(string Name, Dictionary<string, string> Values, int Line)> Sections(string[] lines)
    {
        string? name = null;
        var start = 0;
        Dictionary<string, string> values = new(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[' && line[^1] == ']')
            {
                if (name is not null) yield return (name, values, start);
                name = line[1..^1].Trim();
                start = i + 1;
                values = new(StringComparer.OrdinalIgnoreCase);
                continue;
            }
            var eq = line.IndexOf('=');
            if (name is not null && eq > 0) values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }
        if (name is not null) yield return (name, values, start);
    }

    private static List<string> WithoutSection(string[] lines, string name, out bool removed)
    {
        var kept = new List<string>(lines.Length);
        var skipping = false;
        removed = false;
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith('[') && trimmed.EndsWith(']'))
            {
                skipping = trimmed[1..^1].Trim() == name;
                removed |= skipping;
            }
            if (!skipping) kept.Add(line);
        }
        return kept;
    }

    /// <summary>Writes through a temporary file created with mode 600, then renames: never a half-written or world-readable config.</summary>
    private static void Write(string file, List<string> lines)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(file)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(temp, new UTF8Encoding(false), options))
        {
            foreach (var line in lines) writer.Write(line + "\n");
        }
        File.Move(temp, file, overwrite: true);
    }
}
