namespace Grid.Server.Streams;

/// <summary>Stream ARNs: arn:aws:kinesis:{region}:{account}:stream/{name}.</summary>
public static class StreamArns
{
    public static string Format(string region, string account, string name) => $"arn:aws:kinesis:{region}:{account}:stream/{name}";

    public static bool TryParse(string? arn, out string account, out string name)
    {
        account = name = "";
        var parts = arn?.Split(':', 6);
        if (parts is not { Length: 6 } || parts[0] != "arn" || parts[2] != "kinesis" || !parts[5].StartsWith("stream/", StringComparison.Ordinal)) return false;
        account = parts[4];
        name = parts[5]["stream/".Length..];
        return name.Length > 0;
    }
}
