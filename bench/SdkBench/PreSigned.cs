using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Grid.Client;

/// <summary>
/// The baseline's signature, computed once with plain SigV4 (an independent few lines, so the baseline does not use the
/// SDK's signer): host, x-amz-content-sha256 and x-amz-date; the path has no characters that need encoding.
/// </summary>
internal static class PreSigned
{
    public static List<(string Name, string Value)> Headers(GridClientOptions options, Uri url, byte[] body)
    {
        var amzDate = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var hash = Convert.ToHexStringLower(SHA256.HashData(body));
        var canonical = $"POST\n{url.AbsolutePath}\n\nhost:{url.Authority}\nx-amz-content-sha256:{hash}\nx-amz-date:{amzDate}\n\n" +
                        $"host;x-amz-content-sha256;x-amz-date\n{hash}";
        var scope = $"{date}/{options.Region}/lambda/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + options.SecretAccessKey);
        foreach (var part in new[] { date, options.Region, "lambda", "aws4_request" }) key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        return
        [
            ("x-amz-date", amzDate),
            ("x-amz-content-sha256", hash),
            ("Authorization", $"AWS4-HMAC-SHA256 Credential={options.AccessKeyId}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}"),
        ];
    }
}
