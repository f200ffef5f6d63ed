using System.Globalization;
using System.Security.Cryptography;

namespace Grid.Server.Api;

/// <summary>X-Ray style trace header handed to the function (Lambda-Runtime-Trace-Id / _X_AMZN_TRACE_ID).</summary>
public static class TraceId
{
    public static string New()
    {
        Span<byte> random = stackalloc byte[20];
        RandomNumberGenerator.Fill(random);
        var epoch = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x8", CultureInfo.InvariantCulture);
        return $"Root=1-{epoch}-{Convert.ToHexStringLower(random[..12])};Parent={Convert.ToHexStringLower(random[12..])};Sampled=0";
    }
}
