namespace Grid.Client;

/// <summary>
/// A schedule as the node reports it. Times are UTC, except <see cref="NextFireTimeLocal"/>: the next occurrence as
/// wall-clock time in <see cref="ScheduleExpressionTimezone"/> (its <see cref="DateTimeOffset.Offset"/> is the zone's).
/// </summary>
public sealed record ScheduleInfo(
    string Name,
    string Arn,
    string ScheduleExpression,
    string FunctionName,
    string FunctionArn,
    string? Input,
    string State,
    string Description,
    DateTimeOffset CreationDate,
    DateTimeOffset LastModified,
    DateTimeOffset? LastFireTime,
    DateTimeOffset? NextFireTime,
    string ScheduleExpressionTimezone = "UTC",
    DateTimeOffset? NextFireTimeLocal = null);
