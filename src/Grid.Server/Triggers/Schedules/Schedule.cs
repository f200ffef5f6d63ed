namespace Grid.Server.Triggers.Schedules;

/// <summary>One schedule as stored in <c>grid_schedules</c>. Times are unix ms.</summary>
public sealed record Schedule(
    string AccountId,
    string Name,
    string FunctionName,
    string? Qualifier,
    string Expression,
    string Timezone,
    string? Input,
    string State,
    string Description,
    long Created,
    long LastModified,
    long FireAfter,
    long? LastFired)
{
    public const string Enabled = "ENABLED";
    public const string Disabled = "DISABLED";

    public bool IsEnabled => State == Enabled;

    /// <summary>Occurrences after this fire: the later of the last one fired and the (re)start of the schedule.</summary>
    public DateTimeOffset FiredUpTo => DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(FireAfter, LastFired ?? 0));

    /// <summary>The key of the schedule's grain: "account/name" (names cannot contain '/').</summary>
    public string GrainKey => Key(AccountId, Name);

    public static string Key(string accountId, string name) => $"{accountId}/{name}";

    /// <summary>The zone cron occurrences are evaluated in (<see cref="Timezone"/>, an IANA name).</summary>
    public TimeZoneInfo Zone() => ScheduleTimezone.Resolve(Timezone);

    public ScheduleExpression ParsedExpression() => ScheduleExpression.Parse(Expression, Created, Zone());

    /// <summary>EventBridge's rule ARN: what the scheduled event names in <c>resources</c>.</summary>
    public string Arn(string region) => $"arn:aws:events:{region}:{AccountId}:rule/{Name}";
}
