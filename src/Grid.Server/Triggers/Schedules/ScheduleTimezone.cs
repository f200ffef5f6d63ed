namespace Grid.Server.Triggers.Schedules;

/// <summary>
/// EventBridge Scheduler's <c>ScheduleExpressionTimezone</c>: the IANA zone (e.g. <c>Europe/Berlin</c>) a schedule's
/// cron expression is evaluated in. Zones come from the node's tz database (/usr/share/zoneinfo on Linux), so DST rules
/// are the operating system's.
/// </summary>
public static class ScheduleTimezone
{
    public const string Utc = "UTC";
    public const int MaxLength = 50; // EventBridge Scheduler's limit

    /// <summary>The zone named <paramref name="name"/>, or null when it is not an IANA name this node knows.</summary>
    public static TimeZoneInfo? Find(string name)
    {
        if (name.Length is 0 or > MaxLength) return null;
        try
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(name);
            // Only IANA names: a Windows id ("W. Europe Standard Time") would make a schedule depend on the node's OS.
            return zone.HasIanaId ? zone : null;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException or System.Security.SecurityException)
        {
            return null;
        }
    }

    /// <summary>The zone of a stored schedule (validated when it was written).</summary>
    public static TimeZoneInfo Resolve(string name) => Find(name)
        ?? throw new InvalidOperationException(
            $"Time zone '{name}' is not in this node's tz database (/usr/share/zoneinfo): install the tzdata package, or change the schedule's ScheduleExpressionTimezone.");
}
