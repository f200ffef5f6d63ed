using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace Grid.Server.Api.Auth;

/// <summary>
/// Verifies AWS Signature Version 4 exactly as the AWS CLI, boto3 and the JS SDK compute it
/// (the canonical URI is the raw, already-encoded path encoded once more).
/// </summary>
public sealed class SigV4Verifier(AccessKeyStore keys, TimeProvider time)
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);
    private readonly ConcurrentDictionary<(string Secret, string Date, string Region, string Service), byte[]> _signingKeys = new();

    /// <summary>Returns the caller's access key, or throws a Lambda-shaped 403.</summary>
    public AccessKey Verify(HttpRequest request, ReadOnlySpan<byte> body, string service = "lambda")
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            throw Errors.MissingAuthentication();
        }
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            throw Errors.InvalidSignature("Only AWS4-HMAC-SHA256 signatures are accepted.");
        }

        string? credential = null, signedHeaders = null, signature = null;
        foreach (var part in authorization.AsSpan(Algorithm.Length + 1).ToString().Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("Credential=", StringComparison.Ordinal)) credential = part[11..];
            else if (part.StartsWith("SignedHeaders=", StringComparison.Ordinal)) signedHeaders = part[14..];
            else if (part.StartsWith("Signature=", StringComparison.Ordinal)) signature = part[10..];
        }
        var scope = credential?.Split('/');
        if (scope is not { Length: 5 } || signedHeaders is null || signature is null || scope[4] != "aws4_request")
        {
            throw Errors.InvalidSignature("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' with a valid credential scope.");
        }

        var key = keys.Find(scope[0]) ?? throw Errors.UnrecognizedClient();

        var amzDate = request.Headers["x-amz-date"].ToString();
        if (!DateTime.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            throw Errors.InvalidSignature("The request must contain a valid X-Amz-Date header.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (signedAt < now - MaxSkew)
        {
            throw Errors.InvalidSignature(
                $"Signature expired: {amzDate} is now earlier than {(now - MaxSkew):yyyyMMdd'T'HHmmss'Z'} ({now:yyyyMMdd'T'HHmmss'Z'} - 15 min.)");
        }
        if (signedAt > now + MaxSkew)
        {
            throw Errors.InvalidSignature(
                $"Signature not yet current: {amzDate} is still later than {(now + MaxSkew):yyyyMMdd'T'HHmmss'Z'} ({now:yyyyMMdd'T'HHmmss'Z'} + 15 min.)");
        }
        if (!amzDate.StartsWith(scope[1], StringComparison.Ordinal))
        {
            throw Errors.InvalidSignature("Credential should be scoped to a valid date matching X-Amz-Date.");
        }

        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(body));
        var declared = request.Headers["x-amz-content-sha256"].ToString();
        if (declared.Length > 0 && declared != "UNSIGNED-PAYLOAD" && !declared.Equals(payloadHash, StringComparison.OrdinalIgnoreCase))
        {
            throw Errors.InvalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
        }

        var canonical = CanonicalRequest(request, signedHeaders, declared == "UNSIGNED-PAYLOAD" ? declared : payloadHash);
        var stringToSign = string.Join('\n', Algorithm, amzDate, string.Join('/', scope[1], scope[2], scope[3], "aws4_request"),
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));

        var signingKey = SigningKey(key.SecretAccessKey, scope[1], scope[2], scope[3]);
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign), expected);
        Span<byte> provided = stackalloc byte[32];
        if (signature.Length != 64 || Convert.FromHexString(signature, provided, out _, out _) != System.Buffers.OperationStatus.Done
            || !CryptographicOperations.FixedTimeEquals(expected, provided))
        {
            throw Errors.InvalidSignature(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        }
        _ = service;
        return key;
    }

    public static string CanonicalRequest(HttpRequest request, string signedHeaders, string payloadHash)
    {
        var rawTarget = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.PathBase + request.Path + request.QueryString);
        var queryStart = rawTarget.IndexOf('?');
        var rawPath = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
        var rawQuery = queryStart < 0 ? "" : rawTarget[(queryStart + 1)..];

        var sb = new StringBuilder(512);
        sb.Append(request.Method).Append('\n');
        AppendEncoded(sb, rawPath, keepSlash: true);
        sb.Append('\n');
        AppendCanonicalQuery(sb, rawQuery);
        sb.Append('\n');
        foreach (var name in signedHeaders.Split(';'))
        {
            sb.Append(name).Append(':');
            var values = request.Headers[name];
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0) sb.Append(',');
                AppendTrimmed(sb, values[i] ?? "");
            }
            sb.Append('\n');
        }
        sb.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);
        return sb.ToString();
    }

    private static void AppendCanonicalQuery(StringBuilder sb, string rawQuery)
    {
        if (rawQuery.Length == 0) return;
        var pairs = new List<(string Key, string Value)>();
        foreach (var part in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var k = Uri.UnescapeDataString(eq < 0 ? part : part[..eq]);
            var v = eq < 0 ? "" : Uri.UnescapeDataString(part[(eq + 1)..]);
            pairs.Add((Encode(k), Encode(v)));
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

    private static void AppendEncoded(StringBuilder sb, string value, bool keepSlash)
    {
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            var n = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < n; i++)
            {
                var b = utf8[i];
                if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
                    or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~' || (keepSlash && b == '/'))
                {
                    sb.Append((char)b);
                }
                else
                {
                    sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
        }
    }

    private static void AppendTrimmed(StringBuilder sb, string value)
    {
        var span = value.AsSpan().Trim();
        var lastWasSpace = false;
        foreach (var c in span)
        {
            if (c == ' ' || c == '\t')
            {
                if (!lastWasSpace) sb.Append(' ');
                lastWasSpace = true;
            }
            else
            {
                sb.Append(c);
                lastWasSpace = false;
            }
        }
    }

    private byte[] SigningKey(string secret, string date, string region, string service)
    {
        if (_signingKeys.TryGetValue((secret, date, region, service), out var cached)) return cached;
        var k = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(region));
        k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(service));
        k = HMACSHA256.HashData(k, "aws4_request"u8);
        if (_signingKeys.Count > 4096) _signingKeys.Clear();
        _signingKeys[(secret, date, region, service)] = k;
        return k;
    }
}
