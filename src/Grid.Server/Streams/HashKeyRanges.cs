using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Grid.Server.Streams;

/// <summary>
/// Kinesis shard choice: the MD5 of the partition key as an unsigned 128-bit big-endian integer (or an explicit hash key)
/// falls in exactly one shard's range; the 2^128 space is split evenly between a stream's shards.
/// </summary>
public static class HashKeyRanges
{
    public static readonly BigInteger Space = BigInteger.One << 128;

    public static BigInteger Start(int shard, int shardCount) => Space * shard / shardCount;

    public static BigInteger End(int shard, int shardCount) => Space * (shard + 1) / shardCount - 1;

    public static BigInteger HashOf(string partitionKey)
    {
        Span<byte> digest = stackalloc byte[16];
        MD5.HashData(Encoding.UTF8.GetBytes(partitionKey), digest);
        return new BigInteger(digest, isUnsigned: true, isBigEndian: true);
    }

    /// <summary>Parses an ExplicitHashKey: a decimal integer in [0, 2^128).</summary>
    public static bool TryParseHashKey(string s, out BigInteger value) =>
        BigInteger.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value < Space && s.Length <= 39;

    public static int ShardFor(string partitionKey, string? explicitHashKey, int shardCount)
    {
        var hash = explicitHashKey is not null && TryParseHashKey(explicitHashKey, out var parsed) ? parsed : HashOf(partitionKey);
        return ShardFor(hash, shardCount);
    }

    public static int ShardFor(BigInteger hash, int shardCount)
    {
        var shard = (int)(hash * shardCount / Space);
        // Integer division can put a boundary hash one shard off; settle it against the exact ranges.
        while (shard > 0 && hash < Start(shard, shardCount)) shard--;
        while (shard < shardCount - 1 && hash > End(shard, shardCount)) shard++;
        return shard;
    }
}
