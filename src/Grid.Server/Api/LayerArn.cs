using System.Text.RegularExpressions;

namespace Grid.Server.Api;

/// <summary>A layer reference: a layer name, a layer ARN, or a layer version ARN.</summary>
public static partial class LayerArn
{
    public const string VersionPattern = @"arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+";
    private const string NamePattern = @"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+";

    [GeneratedRegex(@"^arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:(?<account>\d{12}):layer:(?<name>[a-zA-Z0-9-_]+)(:(?<version>[0-9]+))?$")]
    private static partial Regex ArnRegex();

    [GeneratedRegex(@"^[a-zA-Z0-9-_]+$")]
    private static partial Regex NameRegex();

    public static string Of(string region, string account, string name) => $"arn:aws:lambda:{region}:{account}:layer:{name}";

    /// <summary>The layer name of a LayerName path parameter; another account's layer is simply not found.</summary>
    public static string Name(string raw, string callerAccount)
    {
        if (raw.Length is 0 or > 140)
        {
            throw Errors.Validation(raw, "layerName", "Member must have length less than or equal to 140");
        }
        if (NameRegex().IsMatch(raw)) return raw;
        var m = ArnRegex().Match(raw);
        if (!m.Success || m.Groups["version"].Success)
        {
            throw Errors.Validation(raw, "layerName", "Member must satisfy regular expression pattern: " + NamePattern);
        }
        if (m.Groups["account"].Value != callerAccount) throw Errors.ResourceNotFound("The resource you requested does not exist.");
        return m.Groups["name"].Value;
    }

    /// <summary>Splits a layer version ARN into account, name and version; null when it is not one.</summary>
    public static (string Account, string Name, long Version)? ParseVersion(string arn)
    {
        var m = ArnRegex().Match(arn);
        if (!m.Success || !m.Groups["version"].Success || !long.TryParse(m.Groups["version"].Value, out var version)) return null;
        return (m.Groups["account"].Value, m.Groups["name"].Value, version);
    }
}
