using System.Text.RegularExpressions;

namespace Grid.Server.Triggers.Schedules;

/// <summary>
/// A parsed EventBridge schedule expression: <c>rate(value unit)</c> (a fixed period, unaffected by time zones) or AWS's
/// six-field <c>cron(...)</c> evaluated in the schedule's time zone. Occurrences have minute resolution (as on AWS) and
/// are returned as UTC instants.
/// </summary>
public abstract class ScheduleExpression
{
    public const string Help = "use rate(value unit), e.g. rate(5 minutes), or cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 12 * * ? *)";

    /// <summary>The expression as the user wrote it.</summary>
    public abstract string Text { get; }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null when there is none.</summary>
    public abstract DateTimeOffset? Next(DateTimeOffset after);

    /// <summary>The last occurrence at or before <paramref name="atOrBefore"/>, or null when there is none.</summary>
    public abstract DateTimeOffset? Previous(DateTimeOffset atOrBefore);

    /// <summary>
    /// Parses <paramref name="text"/>; <paramref name="createdMs"/> anchors rate expressions (a rate schedule fires every
    /// period counted from the minute it was created) and cron expressions are evaluated in <paramref name="zone"/>.
    /// Throws <see cref="ScheduleExpressionException"/> saying what is wrong.
    /// </summary>
    public static ScheduleExpression Parse(string text, long createdMs, TimeZoneInfo zone)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith("rate(", StringComparison.Ordinal) && trimmed.EndsWith(')')) return RateExpression.ParseRate(trimmed, createdMs);
        if (trimmed.StartsWith("cron(", StringComparison.Ordinal) && trimmed.EndsWith(')')) return AwsCronExpression.Parse(trimmed, zone);
        throw new ScheduleExpressionException($"ScheduleExpression '{text}' is not valid: {Help}.");
    }
}

/// <summary>A schedule expression the user must fix; the message says what is wrong.</summary>
public sealed class ScheduleExpressionException(string message) : Exception(message);

/// <summary><c>rate(N minute|minutes|hour|hours|day|days)</c>: every N units from the minute the schedule was created.</summary>
public sealed partial class RateExpression : ScheduleExpression
{
    private readonly long _anchorMs;
    private readonly long _periodMs;

    private RateExpression(string text, long anchorMs, TimeSpan period)
    {
        Text = text;
        _anchorMs = anchorMs;
        _periodMs = (long)period.TotalMilliseconds;
        Period = period;
    }

    public override string Text { get; }

    public TimeSpan Period { get; }

    [GeneratedRegex(@"^rate\(\s*(?<value>\S+)\s+(?<unit>\S+)\s*\)$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static RateExpression ParseRate(string text, long createdMs)
    {
        var m = Pattern().Match(text);
        if (!m.Success) throw new ScheduleExpressionException($"{text} is not valid: a rate has a value and a unit, e.g. rate(5 minutes) or rate(1 hour).");
        var raw = m.Groups["value"].Value;
        if (!int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw new ScheduleExpressionException($"{text} is not valid: the value '{raw}' must be a whole number of 1 or more (the shortest rate is rate(1 minute)).");
        }
        var unit = m.Groups["unit"].Value;
        TimeSpan one = unit switch
        {
            "minute" or "minutes" => TimeSpan.FromMinutes(1),
            "hour" or "hours" => TimeSpan.FromHours(1),
            "day" or "days" => TimeSpan.FromDays(1),
            _ => throw new ScheduleExpressionException($"{text} is not valid: the unit '{unit}' must be minute(s), hour(s) or day(s)."),
        };
        // AWS's own rule: singular for 1, plural otherwise.
        var singular = !unit.EndsWith('s');
        if (singular != (value == 1))
        {
            var fixedUnit = value == 1 ? unit.TrimEnd('s') : unit + "s";
            throw new ScheduleExpressionException($"{text} is not valid: write rate({value} {fixedUnit}) (the unit is singular for 1 and plural otherwise).");
        }
        var period = one * value;
        if (period > TimeSpan.FromDays(3650)) throw new ScheduleExpressionException($"{text} is not valid: the period must be at most 3650 days.");
        var anchor = createdMs - (createdMs % 60_000);
        return new RateExpression(text, anchor, period);
    }

    public override DateTimeOffset? Next(DateTimeOffset after)
    {
        var t = after.ToUnixTimeMilliseconds();
        var k = t < _anchorMs ? 1 : (t - _anchorMs) / _periodMs + 1;
        return DateTimeOffset.FromUnixTimeMilliseconds(_anchorMs + k * _periodMs);
    }

    public override DateTimeOffset? Previous(DateTimeOffset atOrBefore)
    {
        var t = atOrBefore.ToUnixTimeMilliseconds();
        if (t < _anchorMs + _periodMs) return null;
        var k = (t - _anchorMs) / _periodMs;
        return DateTimeOffset.FromUnixTimeMilliseconds(_anchorMs + k * _periodMs);
    }
}
