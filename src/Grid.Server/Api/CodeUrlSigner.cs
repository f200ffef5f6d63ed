using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Grid.Server.Api;

/// <summary>
/// Pre-signed, time-limited URLs for GetFunction's Code.Location. The key is a cluster-wide secret from the
/// database, so a URL made by one node downloads from any node.
/// </summary>
public sealed class CodeUrlSigner
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private byte[] _key = [];

    public void SetKey(string secret) => _key = Encoding.UTF8.GetBytes(secret);

    public string Url(HttpRequest request, string account, string sha256Hex, DateTimeOffset now)
    {
        var expires = (now + Lifetime).ToUnixTimeSeconds();
        return $"{request.Scheme}://{request.Host}{CodeEndpoints.Prefix}{account}/{sha256Hex}.zip?Expires={expires}&Signature={Sign(account, sha256Hex, expires)}";
    }

    public bool IsValid(string account, string sha256Hex, string? expires, string? signature, DateTimeOffset now)
    {
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var at) || at < now.ToUnixTimeSeconds() || signature is null)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(account, sha256Hex, at)), Encoding.ASCII.GetBytes(signature));
    }

    private string Sign(string account, string sha256Hex, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{account}\n{sha256Hex}\n{expires}")));
}
