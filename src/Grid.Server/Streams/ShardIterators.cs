using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Grid.Server.Storage;

namespace Grid.Server.Streams;

/// <summary>Where a shard iterator points: the records of a shard after a sequence number, for one account, until it expires.</summary>
public readonly record struct ShardPosition(string AccountId, string StreamId, int Shard, long AfterSeq);

/// <summary>
/// Shard iterators are opaque tokens: the position and an expiry, signed with a cluster-wide secret (grid_settings) so any
/// node accepts an iterator another node issued and nobody can forge one for another account's stream.
/// </summary>
public sealed class ShardIterators(MetadataStore settings, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private const int MacBytes = 16;
    private Task<byte[]>? _key;

    public async Task<string> IssueAsync(ShardPosition position, CancellationToken ct = default)
    {
        var key = await KeyAsync(ct);
        var expires = time.GetUtcNow().Add(Lifetime).ToUnixTimeMilliseconds();
        var text = Encoding.UTF8.GetBytes($"{position.AccountId}/{position.StreamId}/{position.Shard}/{position.AfterSeq}");
        var payload = new byte[8 + text.Length + MacBytes];
        BinaryPrimitives.WriteInt64BigEndian(payload, expires);
        text.CopyTo(payload, 8);
        HMACSHA256.HashData(key, payload.AsSpan(0, 8 + text.Length)).AsSpan(0, MacBytes).CopyTo(payload.AsSpan(8 + text.Length));
        return Convert.ToBase64String(payload);
    }

    /// <summary>The position of a valid iterator; throws InvalidArgumentException (malformed or forged) or ExpiredIteratorException.</summary>
    public async Task<ShardPosition> ReadAsync(string iterator, CancellationToken ct = default)
    {
        var key = await KeyAsync(ct);
        var payload = new byte[iterator.Length];
        if (!Convert.TryFromBase64String(iterator, payload, out var length) || length < 8 + MacBytes + 7) throw Invalid();
        payload = payload[..length];
        var body = payload.AsSpan(0, length - MacBytes);
        var expected = HMACSHA256.HashData(key, body).AsSpan(0, MacBytes);
        if (!CryptographicOperations.FixedTimeEquals(expected, payload.AsSpan(length - MacBytes))) throw Invalid();
        var parts = Encoding.UTF8.GetString(body[8..]).Split('/');
        if (parts.Length != 4) throw Invalid();
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(body));
        var now = time.GetUtcNow();
        if (now > expires)
        {
            throw new KinesisException("ExpiredIteratorException",
                $"Iterator expired. The iterator was created at time {expires - Lifetime:R} while right now it is {now:R} which is further in the future than the "
                + $"tolerated delay of {(long)Lifetime.TotalMilliseconds} milliseconds. Get a new iterator with GetShardIterator.");
        }
        return new ShardPosition(parts[0], parts[1], int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static KinesisException Invalid() =>
        new("InvalidArgumentException", "Invalid ShardIterator: it was not issued by this Grid cluster or was altered. Get a new one with GetShardIterator.");

    private Task<byte[]> KeyAsync(CancellationToken ct) => _key ??= LoadKeyAsync(ct);

    private async Task<byte[]> LoadKeyAsync(CancellationToken ct)
    {
        try
        {
            var hex = await settings.GetOrAddSettingAsync("stream_iterator_secret", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), ct);
            return Convert.FromHexString(hex);
        }
        catch
        {
            _key = null; // a failed load (database briefly away) is retried by the next request
            throw;
        }
    }
}
