using System.Text.Json;
using System.Text.Json.Serialization;

namespace Grid.Server.Triggers.Schedules;

/// <summary>Body of POST /grid/2026-11-01/schedules and PUT .../schedules/{name}; on PUT every field is optional and replaces.</summary>
public sealed class ScheduleRequest
{
    public string? Name { get; set; }

    /// <summary><c>rate(5 minutes)</c> or <c>cron(0 12 * * ? *)</c>.</summary>
    public string? ScheduleExpression { get; set; }

    /// <summary>The IANA time zone cron expressions are evaluated in, e.g. <c>Europe/Berlin</c>; default <c>UTC</c>. Rates ignore it.</summary>
    public string? ScheduleExpressionTimezone { get; set; }

    /// <summary>A name, name:qualifier, or (partial) ARN of a function in the caller's account.</summary>
    public string? FunctionName { get; set; }

    /// <summary>The payload: a string of JSON (as EventBridge's Input) or any JSON value; "" on PUT goes back to the scheduled event.</summary>
    public JsonElement? Input { get; set; }

    public string? State { get; set; }

    public string? Description { get; set; }
}

public sealed class ScheduleResponse
{
    public required string Name { get; init; }
    public required string Arn { get; init; }
    public required string ScheduleExpression { get; init; }
    public required string ScheduleExpressionTimezone { get; init; }
    public required string FunctionName { get; init; }
    public required string FunctionArn { get; init; }
    public string? Input { get; init; }
    public required string State { get; init; }
    public required string Description { get; init; }
    public required string CreationDate { get; init; }
    public required string LastModified { get; init; }

    /// <summary>The last occurrence handed to the async queue (absent until the first).</summary>
    public string? LastFireTime { get; init; }

    /// <summary>The next occurrence (absent while disabled, or when the expression never fires again).</summary>
    public string? NextFireTime { get; init; }

    /// <summary>The same instant as the wall-clock time in <see cref="ScheduleExpressionTimezone"/>, with its UTC offset.</summary>
    public string? NextFireTimeLocal { get; init; }
}

public sealed class ListSchedulesResponse
{
    public required List<ScheduleResponse> Schedules { get; init; }
    public string? NextMarker { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ScheduleRequest))]
[JsonSerializable(typeof(ScheduleResponse))]
[JsonSerializable(typeof(ListSchedulesResponse))]
public sealed partial class ScheduleJsonContext : JsonSerializerContext
{
    /// <summary>Answers keep quotes in Input readable ("{"a":1}" rather than \u0022): they are JSON bodies, never HTML.</summary>
    public static ScheduleJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
