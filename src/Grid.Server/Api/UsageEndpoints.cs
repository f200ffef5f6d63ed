using System.Globalization;
using System.Text.Json.Serialization;
using Grid.Server.Telemetry;

namespace Grid.Server.Api;

/// <summary>
/// Metering: GET /grid/2026-11-01/usage?start=&amp;end= (ISO 8601, hour granularity; default: this month so far) gives the
/// caller's account requests, billed duration and GB-seconds per function and in total (SigV4 like the Lambda API).
/// </summary>
public static class UsageEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/grid/2026-11-01/usage", Get);

    private static async Task<IResult> Get(HttpContext http, UsageMeter meter, TimeProvider time)
    {
        var account = http.Caller().AccountId;
        var now = time.GetUtcNow();
        var query = http.Request.Query;
        var start = Parse(query["start"], "start") ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var end = Parse(query["end"], "end") ?? now;
        if (end <= start) throw Errors.InvalidParameter("end must be later than start.");
        var rows = await meter.ReadAsync(account, start, end, http.RequestAborted);
        var functions = rows.Select(r => new UsageLine(r.Function, r.Requests, r.BilledMs, Math.Round(r.GbSeconds, 6))).ToList();
        var total = new UsageLine(null, rows.Sum(r => r.Requests), rows.Sum(r => r.BilledMs), Math.Round(rows.Sum(r => r.MbMs) / 1024.0 / 1000.0, 6));
        return ApiContext.Json(new UsageResponse(account, start.ToString("O"), end.ToString("O"), functions, total), UsageJsonContext.Default.UsageResponse);
    }

    private static DateTimeOffset? Parse(string? value, string name)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return at.ToUniversalTime();
        throw Errors.InvalidParameter($"{name} must be an ISO 8601 time, e.g. 2026-11-01T00:00:00Z.");
    }
}

public sealed record UsageLine(
    [property: JsonPropertyName("functionName")] string? FunctionName,
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("billedDurationMs")] long BilledDurationMs,
    [property: JsonPropertyName("gbSeconds")] double GbSeconds);

public sealed record UsageResponse(
    [property: JsonPropertyName("accountId")] string AccountId,
    [property: JsonPropertyName("start")] string Start,
    [property: JsonPropertyName("end")] string End,
    [property: JsonPropertyName("functions")] List<UsageLine> Functions,
    [property: JsonPropertyName("total")] UsageLine Total);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UsageResponse))]
public sealed partial class UsageJsonContext : JsonSerializerContext;
