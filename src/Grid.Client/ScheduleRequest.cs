namespace Grid.Client;

/// <summary>
/// A schedule to create, or the fields to change on update (null leaves a field as it is).
/// <see cref="ScheduleExpression"/> is <c>rate(5 minutes)</c> or AWS's six-field <c>cron(0 12 * * ? *)</c>, evaluated in
/// <see cref="ScheduleExpressionTimezone"/>.
/// </summary>
public sealed class ScheduleRequest
{
    public string? Name { get; set; }
    public string? ScheduleExpression { get; set; }

    /// <summary>
    /// IANA time zone cron expressions are evaluated in, with its daylight saving time (e.g. <c>Europe/Berlin</c>);
    /// <c>UTC</c> when not set. Rate expressions ignore it.
    /// </summary>
    public string? ScheduleExpressionTimezone { get; set; }

    /// <summary>The function to invoke asynchronously: name, name:qualifier or ARN.</summary>
    public string? FunctionName { get; set; }

    /// <summary>JSON the function receives instead of the EventBridge scheduled event; "" on update goes back to that event.</summary>
    public string? Input { get; set; }

    /// <summary>ENABLED (the default) or DISABLED.</summary>
    public string? State { get; set; }

    public string? Description { get; set; }
}
