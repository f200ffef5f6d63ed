using System.Globalization;

namespace Grid.Server.Streams;

/// <summary>
/// Kinesis-style sequence numbers: 25 decimal digits, the shard index (4 digits) then the per-shard sequence (21 digits),
/// so within a shard they order the same as numbers and as strings. Shard 3 seq 42 is "0003000000000000000000042".
/// </summary>
public static class SequenceNumbers
{
    public const int Length = 25;
    private const int ShardDigits = 4;

    public static string Format(int shard, long seq) =>
        shard.ToString("D4", CultureInfo.InvariantCulture) + seq.ToString("D21", CultureInfo.InvariantCulture);

    public static bool TryParse(string? s, out int shard, out long seq)
    {
        shard = 0;
        seq = 0;
        if (s is null || s.Length != Length) return false;
        foreach (var c in s)
        {
            if (c is < '0' or > '9') return false;
        }
        return int.TryParse(s.AsSpan(0, ShardDigits), NumberStyles.None, CultureInfo.InvariantCulture, out shard)
            && long.TryParse(s.AsSpan(ShardDigits), NumberStyles.None, CultureInfo.InvariantCulture, out seq);
    }
}
