using System.Globalization;
using Cronos;

namespace Grid.Server.Triggers.Schedules;

/// <summary>
/// AWS's cron: <c>cron(minutes hours day-of-month month day-of-week year)</c>, UTC. Translated to a five-field Cronos
/// expression (which knows <c>? L W #</c>) plus a year filter Grid applies itself. The differences from Unix cron that
/// matter: day-of-week counts 1-7 from Sunday (Cronos: 0-6), exactly one of day-of-month and day-of-week is <c>?</c>,
/// and the sixth field is the year (1970-2199).
/// </summary>
public sealed class AwsCronExpression : ScheduleExpression
{
    private const int FirstYear = 1970;
    private const int LastYear = 2199;
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly CronExpression _cron;
    private readonly bool[] _years; // index = year - FirstYear

    private AwsCronExpression(string text, CronExpression cron, bool[] years)
    {
        Text = text;
        _cron = cron;
        _years = years;
    }

    public override string Text { get; }

    public static AwsCronExpression Parse(string text)
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
        return new AwsCronExpression(text, cron, years);
    }

    public override DateTimeOffset? Next(DateTimeOffset after)
    {
        var from = after.UtcDateTime;
        var inclusive = false;
        while (true)
        {
            var next = _cron.GetNextOccurrence(from, inclusive);
            if (next is not { } n || n.Year > LastYear) return null;
            if (Allowed(n.Year)) return new DateTimeOffset(n, TimeSpan.Zero);
            var year = n.Year + 1;
            while (year <= LastYear && !Allowed(year)) year++;
            if (year > LastYear) return null;
            (from, inclusive) = (new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc), true);
        }
    }

    public override DateTimeOffset? Previous(DateTimeOffset atOrBefore)
    {
        var from = atOrBefore.UtcDateTime;
        while (true)
        {
            var previous = _cron.GetPreviousOccurrence(from, inclusive: true);
            if (previous is not { } p || p.Year < FirstYear) return null;
            if (Allowed(p.Year)) return new DateTimeOffset(p, TimeSpan.Zero);
            var year = p.Year - 1;
            while (year >= FirstYear && !Allowed(year)) year--;
            if (year < FirstYear) return null;
            from = new DateTime(year, 12, 31, 23, 59, 0, DateTimeKind.Utc);
        }
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
