using System.Globalization;

namespace Grid.Server.Streams;

/// <summary>Kinesis shard ids: "shardId-" and the shard index as 12 digits.</summary>
public static class ShardIds
{
    private const string Prefix = "shardId-";

    public static string Format(int shard) => Prefix + shard.ToString("D12", CultureInfo.InvariantCulture);

    public static bool TryParse(string? s, out int shard)
    {
        shard = 0;
        if (s is null) return false;
        // Kinesis also accepts the bare number ("1" for shardId-000000000001).
        var digits = s.StartsWith(Prefix, StringComparison.Ordinal) ? s[Prefix.Length..] : s;
        return digits.Length is > 0 and <= 12 && digits.All(char.IsAsciiDigit)
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out shard);
    }
}
