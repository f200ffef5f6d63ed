using System.Globalization;

namespace Grid.Cli;

/// <summary>Parses how far back to look (`10m`, `2h`, `7d`, `30s`) or an absolute ISO 8601 time, and intervals (`1s`, `500ms`).</summary>
public static class TimeSpec
{
    public static DateTimeOffset Since(string value, string option)
    {
        if (TryDuration(value, out var ago)) return DateTimeOffset.UtcNow - ago;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return at.ToUniversalTime();
        throw new UsageException($"{option} '{value}' is neither a duration (30s, 10m, 2h, 7d) nor an ISO 8601 time (2026-11-01T00:00:00Z).");
    }

    public static TimeSpan Interval(string value, string option) =>
        TryDuration(value, out var interval) && interval > TimeSpan.Zero
            ? interval
            : throw new UsageException($"{option} '{value}' is not a duration: use e.g. 500ms, 1s, 5s.");

    public static bool TryDuration(string value, out TimeSpan duration)
    {
        duration = default;
        value = value.Trim();
        var unit = value.EndsWith("ms", StringComparison.Ordinal) ? "ms" : value.Length > 0 ? value[^1..] : "";
        if (!double.TryParse(value[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0) return false;
        TimeSpan? result = unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => null,
        };
        if (result is null) return false;
        duration = result.Value;
        return true;
    }
}
