using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Grid.Server.Telemetry;

/// <summary>
/// Grid's spans (ActivitySource "Grid") and the trace id handed to functions: the invocation's W3C trace id written
/// in X-Ray form (Root=1-&lt;8 hex&gt;-&lt;24 hex&gt;), so spans a function reports join the invocation's trace.
/// </summary>
public static class GridTracing
{
    public const string SourceName = "Grid";
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The Lambda-Runtime-Trace-Id / _X_AMZN_TRACE_ID value for the current activity, or a fresh random one.</summary>
    public static string LambdaTraceHeader(Activity? activity)
    {
        if (activity is not null && activity.IdFormat == ActivityIdFormat.W3C)
        {
            var trace = activity.TraceId.ToHexString();
            var sampled = activity.Recorded ? 1 : 0;
            return $"Root=1-{trace[..8]}-{trace[8..]};Parent={activity.SpanId.ToHexString()};Sampled={sampled}";
        }
        Span<byte> random = stackalloc byte[20];
        RandomNumberGenerator.Fill(random);
        var epoch = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x8", CultureInfo.InvariantCulture);
        return $"Root=1-{epoch}-{Convert.ToHexStringLower(random[..12])};Parent={Convert.ToHexStringLower(random[12..])};Sampled=0";
    }
}
