using System.Globalization;
using Cronos;

namespace Grid.Server.Triggers.Schedules;

/// <summary>
/// AWS's cron: <c>cron(minutes hours day-of-month month day-of-week year)</c>, evaluated in the schedule's time zone
/// (UTC unless set). Translated to a five-field Cronos expression (which knows <c>? L W #</c>) plus a year filter Grid
/// applies itself. The differences from Unix cron that matter: day-of-week counts 1-7 from Sunday (Cronos: 0-6),
/// exactly one of day-of-month and day-of-week is <c>?</c>, and the sixth field is the (local) year (1970-2199).
/// </summary>
/// <remarks>
/// Daylight saving time follows EventBridge Scheduler rather than Cronos' Vixie-cron rules: a time the clock skips when
/// it springs forward does not fire (Cronos would fire it at the jump), and a time the clock passes twice when it falls
/// back fires once, on the first pass (Cronos would fire interval expressions such as <c>0/15</c> on both passes).
/// </remarks>
public sealed class AwsCronExpression : ScheduleExpression
{
    private const int FirstYear = 1970;
    private const int LastYear = 2199;
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly CronExpression _cron;
    private readonly bool[] _years; // index = year - FirstYear
    private readonly TimeZoneInfo _zone;

    private AwsCronExpression(string text, CronExpression cron, bool[] years, TimeZoneInfo zone)
    {
        Text = text;
        _cron = cron;
        _years = years;
        _zone = zone;
    }

    public override string Text { get; }

    public static AwsCronExpression Parse(string text, TimeZoneInfo zone)
    {
        var inner = text["cron(".Length..^1].Trim();
        var fields = inner.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
        {
            throw new ScheduleExpressionException(
                $"{text} has {fields.Length} field{(fields.Length == 1 ? "" : "s")}; AWS cron expressions have 6: minutes hours day-of-month month day-of-week year (e.g. cron(0 12 * * ? *)).");
        }
        var (dayOfMonth, dayOfWeek) = (fields[2], fields[4]);
        if ((dayOfMonth == "?") == (dayOfWeek == "?"))
        {
            throw new ScheduleExpressionException(
                $"{text} is not valid: put '?' in exactly one of day-of-month and day-of-week (AWS cron cannot restrict both), e.g. cron(0 12 * * ? *) or cron(0 12 ? * MON-FRI *).");
        }
        var years = ParseYears(text, fields[5]);
        var standard = string.Join(' ', fields[0], fields[1], dayOfMonth, fields[3], TranslateDayOfWeek(text, dayOfWeek));
        CronExpression cron;
        try
        {
            cron = CronExpression.Parse(standard, CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            throw new ScheduleExpressionException($"{text} is not valid: {e.Message.TrimEnd('.')}.");
        }
        return new AwsCronExpression(text, cron, years, zone);
    }

    public override DateTimeOffset? Next(DateTimeOffset after)
    {
        var (from, inclusive) = (after, false);
        while (true)
        {
            var next = _cron.GetNextOccurrence(from, _zone, inclusive); // local to _zone, so .Year is the local year
            if (next is not { } n || n.Year > LastYear) return null;
            if (Allowed(n.Year))
            {
                if (FiresAt(n)) return n.ToUniversalTime();
                (from, inclusive) = (n, false);
                continue;
            }
            var year = n.Year + 1;
            while (year <= LastYear && !Allowed(year)) year++;
            if (year > LastYear) return null;
            (from, inclusive) = (StartOfYear(year), true);
        }
    }

    public override DateTimeOffset? Previous(DateTimeOffset atOrBefore)
    {
        var (from, inclusive) = (atOrBefore, true);
        while (true)
        {
            var previous = _cron.GetPreviousOccurrence(from, _zone, inclusive);
            if (previous is not { } p || p.Year < FirstYear) return null;
            if (Allowed(p.Year))
            {
                if (FiresAt(p)) return p.ToUniversalTime();
                (from, inclusive) = (p, false);
                continue;
            }
            var year = p.Year - 1;
            while (year >= FirstYear && !Allowed(year)) year--;
            if (year < FirstYear) return null;
            (from, inclusive) = (StartOfYear(year + 1), false);
        }
    }

    /// <summary>
    /// Whether a Cronos occurrence (in <see cref="_zone"/>) is one EventBridge Scheduler fires: its wall-clock time
    /// matches the expression (Cronos moves times in a spring-forward gap to the jump, where they no longer match), and
    /// it is not the second pass through an hour repeated by a fall-back (the pass with the smaller UTC offset).
    /// </summary>
    private bool FiresAt(DateTimeOffset occurrence)
    {
        var wallClock = DateTime.SpecifyKind(occurrence.DateTime, DateTimeKind.Utc); // UTC has no DST: a pure field match
        if (_cron.GetNextOccurrence(wallClock, inclusive: true) != wallClock) return false;
        return !_zone.IsAmbiguousTime(occurrence) || occurrence.Offset == _zone.GetAmbiguousTimeOffsets(occurrence).Max();
    }

    /// <summary>Local midnight of 1 January of <paramref name="year"/> (its first instant, if the clock passes it twice).</summary>
    private DateTimeOffset StartOfYear(int year)
    {
        var midnight = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var offset = _zone.IsAmbiguousTime(midnight) ? _zone.GetAmbiguousTimeOffsets(midnight).Max() : _zone.GetUtcOffset(midnight);
        return new DateTimeOffset(midnight, offset);
    }

    private bool Allowed(int year) => year is >= FirstYear and <= LastYear && _years[year - FirstYear];

    /// <summary>The year field: <c>*</c>, a year, a range, a list, with optional <c>/step</c>.</summary>
    private static bool[] ParseYears(string text, string field)
    {
        var years = new bool[LastYear - FirstYear + 1];
        foreach (var part in field.Split(','))
        {
            var (range, step) = SplitStep(text, part, "year");
            int from, to;
            if (range == "*") (from, to) = (FirstYear, LastYear);
            else if (range.Split('-') is [var a, var b]) (from, to) = (Year(text, a), Year(text, b));
            else (from, to) = (Year(text, range), step > 1 ? LastYear : Year(text, range));
            if (from > to) throw new ScheduleExpressionException($"{text} is not valid: the year range {range} runs backwards.");
            for (var y = from; y <= to; y += step) years[y - FirstYear] = true;
        }
        return years;
    }

    private static int Year(string text, string raw) =>
        int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y is >= FirstYear and <= LastYear
            ? y
            : throw new ScheduleExpressionException($"{text} is not valid: the year '{raw}' must be *, or years from {FirstYear} to {LastYear} (e.g. 2027, 2027-2029, */2).");

    private static (string Range, int Step) SplitStep(string text, string part, string field)
    {
        var slash = part.IndexOf('/');
        if (slash < 0) return (part, 1);
        var raw = part[(slash + 1)..];
        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step < 1)
        {
            throw new ScheduleExpressionException($"{text} is not valid: the {field} step '{raw}' must be a whole number of 1 or more.");
        }
        return (part[..slash], step);
    }

    /// <summary>AWS day-of-week (1-7 or SUN-SAT, with <c>L</c>, <c>#</c>, ranges, lists, steps) to Cronos numbers 0-6.</summary>
    private static string TranslateDayOfWeek(string text, string field)
    {
        if (field is "*" or "?") return field;
        if (field == "L") return "6"; // AWS: the last day of the week, Saturday
        return string.Join(',', field.Split(',').Select(part =>
        {
            var slash = part.IndexOf('/');
            var step = slash < 0 ? "" : part[slash..];
            var body = slash < 0 ? part : part[..slash];
            if (body == "*") return body + step;
            if (body.EndsWith('L')) return Day(text, body[..^1]) + "L" + step;
            if (body.Split('#') is [var day, var nth]) return Day(text, day) + "#" + nth + step;
            if (body.Split('-') is [var first, var last]) return Day(text, first) + "-" + Day(text, last) + step;
            return Day(text, body) + step;
        }));
    }

    private static string Day(string text, string raw)
    {
        var named = Array.IndexOf(DayNames, raw.ToUpperInvariant());
        if (named >= 0) return named.ToString(CultureInfo.InvariantCulture);
        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var day) && day is >= 1 and <= 7)
        {
            return (day - 1).ToString(CultureInfo.InvariantCulture);
        }
        throw new ScheduleExpressionException($"{text} is not valid: the day-of-week '{raw}' must be 1-7 (1 = SUN) or SUN-SAT.");
    }
}
