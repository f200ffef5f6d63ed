using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Grid.Client.Internal;

/// <summary>
/// AWS Signature Version 4 (AWS4-HMAC-SHA256) as the AWS SDKs compute it for Lambda: the canonical URI is the request's
/// already-escaped path escaped once more; signed headers are host, x-amz-content-sha256 and x-amz-date.
/// The derived signing key is cached per day, so a request costs two SHA-256s and one HMAC.
/// </summary>
internal sealed class SigV4Signer(string accessKeyId, string secretAccessKey, string region, string service, TimeProvider time)
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private const string SignedHeaders = "host;x-amz-content-sha256;x-amz-date";

    private sealed record DayKey(string Date, byte[] Key);

    private DayKey? _key;

    public string AccessKeyId => accessKeyId;

    public string Region => region;

    /// <summary>Adds Host, X-Amz-Date, X-Amz-Content-Sha256 and Authorization to a request whose body is <paramref name="body"/>.</summary>
    public void Sign(HttpRequestMessage request, ReadOnlySpan<byte> body)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        Sign(request, CanonicalTarget.For(uri), body);
    }

    /// <summary>As above with the URI's canonical form computed once (invokes of one function reuse it).</summary>
    public void Sign(HttpRequestMessage request, CanonicalTarget target, ReadOnlySpan<byte> body)
    {
        var amzDate = AmzDate();
        var date = amzDate.AsSpan(0, 8);

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        Span<char> payloadHash = stackalloc char[64];
        Convert.TryToHexStringLower(hash, payloadHash, out _);

        // Canonical request: METHOD \n URI \n QUERY \n host:..\n x-amz-content-sha256:..\n x-amz-date:..\n \n SIGNED \n HASH
        var canonical = new DefaultInterpolatedStringHandler(0, 0, null, stackalloc char[512]);
        canonical.AppendFormatted(request.Method.Method);
        canonical.AppendLiteral("\n");
        canonical.AppendFormatted(target.Path);
        canonical.AppendLiteral("\n");
        canonical.AppendFormatted(target.Query);
        canonical.AppendLiteral("\nhost:");
        canonical.AppendFormatted(target.Host);
        canonical.AppendLiteral("\nx-amz-content-sha256:");
        canonical.AppendFormatted((ReadOnlySpan<char>)payloadHash);
        canonical.AppendLiteral("\nx-amz-date:");
        canonical.AppendFormatted(amzDate);
        canonical.AppendLiteral("\n\n" + SignedHeaders + "\n");
        canonical.AppendFormatted((ReadOnlySpan<char>)payloadHash);
        HashUtf8(canonical.Text, hash);
        canonical.Clear();

        Span<char> canonicalHash = stackalloc char[64];
        Convert.TryToHexStringLower(hash, canonicalHash, out _);
        var toSign = new DefaultInterpolatedStringHandler(0, 0, null, stackalloc char[256]);
        toSign.AppendLiteral(Algorithm + "\n");
        toSign.AppendFormatted(amzDate);
        toSign.AppendLiteral("\n");
        toSign.AppendFormatted(date);
        toSign.AppendLiteral("/");
        toSign.AppendFormatted(_scopeSuffix);
        toSign.AppendLiteral("\n");
        toSign.AppendFormatted((ReadOnlySpan<char>)canonicalHash);
        Span<byte> toSignBytes = stackalloc byte[512];
        var n = Encoding.UTF8.GetBytes(toSign.Text, toSignBytes);
        toSign.Clear();
        HMACSHA256.HashData(SigningKey(amzDate[..8]), toSignBytes[..n], hash);

        Span<char> signature = stackalloc char[64];
        Convert.TryToHexStringLower(hash, signature, out _);
        var headers = request.Headers;
        headers.Host = target.Host;
        headers.TryAddWithoutValidation("x-amz-date", amzDate);
        headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash.ToString());
        headers.TryAddWithoutValidation("Authorization",
            $"{Algorithm} Credential={accessKeyId}/{date}/{_scopeSuffix}, SignedHeaders={SignedHeaders}, Signature={signature}");
    }

    private readonly string _scopeSuffix = $"{region}/{service}/aws4_request";

    private sealed record Stamp(long Second, string AmzDate);

    private Stamp? _stamp;

    /// <summary>X-Amz-Date, formatted once per second.</summary>
    private string AmzDate()
    {
        var now = time.GetUtcNow().UtcDateTime;
        var second = now.Ticks / TimeSpan.TicksPerSecond;
        var stamp = _stamp;
        if (stamp is not null && stamp.Second == second) return stamp.AmzDate;
        stamp = new Stamp(second, now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));
        _stamp = stamp;
        return stamp.AmzDate;
    }

    private static void HashUtf8(ReadOnlySpan<char> text, Span<byte> hash)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> buffer = max <= 2048 ? stackalloc byte[2048] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max));
        var n = Encoding.UTF8.GetBytes(text, buffer);
        SHA256.HashData(buffer[..n], hash);
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
    }

    private byte[] SigningKey(string date)
    {
        var cached = _key;
        if (cached is not null && cached.Date == date) return cached.Key;
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        key = HMACSHA256.HashData(key, "aws4_request"u8);
        _key = new DayKey(date, key);
        return key;
    }

    public const string HexUpper = "0123456789ABCDEF";
}

/// <summary>The parts of a request URI that go into the canonical request, computed once per URI.</summary>
internal sealed class CanonicalTarget
{
    private CanonicalTarget(string host, string path, string query)
    {
        Host = host;
        Path = path;
        Query = query;
    }

    public string Host { get; }

    /// <summary>The escaped path escaped once more ('/' kept), as the AWS SDKs do for Lambda.</summary>
    public string Path { get; }

    public string Query { get; }

    public static CanonicalTarget For(Uri uri)
    {
        var path = new StringBuilder(uri.AbsolutePath.Length + 16);
        AppendEncoded(path, uri.AbsolutePath, keepSlash: true);
        var query = new StringBuilder();
        AppendCanonicalQuery(query, uri.Query);
        return new CanonicalTarget(uri.Authority, path.ToString(), query.ToString());
    }

    /// <summary>Query parameters decoded, re-encoded with RFC 3986 rules and sorted by name then value.</summary>
    private static void AppendCanonicalQuery(StringBuilder sb, string query)
    {
        if (query.Length <= 1) return;
        var pairs = new List<(string Key, string Value)>();
        foreach (var part in query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            pairs.Add((Encode(Uri.UnescapeDataString(eq < 0 ? part : part[..eq])), Encode(eq < 0 ? "" : Uri.UnescapeDataString(part[(eq + 1)..]))));
        }
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key) is var c && c != 0 ? c : string.CompareOrdinal(a.Value, b.Value));
        for (var i = 0; i < pairs.Count; i++)
        {
            if (i > 0) sb.Append('&');
            sb.Append(pairs[i].Key).Append('=').Append(pairs[i].Value);
        }
    }

    private static string Encode(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        AppendEncoded(sb, value, keepSlash: false);
        return sb.ToString();
    }

    /// <summary>Percent-encodes every byte of the UTF-8 form except RFC 3986 unreserved characters (and '/' in paths).</summary>
    private static void AppendEncoded(StringBuilder sb, string value, bool keepSlash)
    {
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~' || (keepSlash && b == '/'))
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(SigV4Signer.HexUpper[b >> 4]).Append(SigV4Signer.HexUpper[b & 0xF]);
            }
        }
    }
}

/// <summary>Keeps one signer per credentials so clients created per scope (typed HttpClients) share the cached day key.</summary>
internal static class SignerCache
{
    private static readonly ConcurrentDictionary<(string, string, string), SigV4Signer> Signers = new();

    public static SigV4Signer For(GridClientOptions options)
    {
        if (Signers.Count > 256) Signers.Clear();
        return Signers.GetOrAdd((options.AccessKeyId, options.SecretAccessKey, options.Region),
            k => new SigV4Signer(k.Item1, k.Item2, k.Item3, "lambda", TimeProvider.System));
    }
}
