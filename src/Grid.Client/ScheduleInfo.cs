namespace Grid.Client;

/// <summary>A schedule as the node reports it (times in UTC).</summary>
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
    DateTimeOffset? NextFireTime);
