namespace Grid.Cli.Dev;

/// <summary>The development key an embedded node writes on first start to &lt;data&gt;/credentials (AWS credentials format, profile [grid]).</summary>
public static class DevCredentials
{
    public static (string AccessKeyId, string SecretAccessKey)? TryRead(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "credentials");
        if (!File.Exists(file)) return null;
        var values = File.ReadAllLines(file)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        return values.TryGetValue("aws_access_key_id", out var id) && values.TryGetValue("aws_secret_access_key", out var secret)
            ? (id, secret)
            : null;
    }
}
