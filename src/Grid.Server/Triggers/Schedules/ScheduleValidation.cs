using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grid.Server.Api;
using Grid.Server.Execution;

namespace Grid.Server.Triggers.Schedules;

/// <summary>Turns a create or update request into the schedule to store, with Lambda-shaped errors that say what to fix.</summary>
public static partial class ScheduleValidation
{
    public const int MaxInputLength = 8192;        // EventBridge's limit on a target's Input
    public const int MaxDescriptionLength = 512;

    [GeneratedRegex(@"^[\.\-_A-Za-z0-9]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static string Name(string? name)
    {
        if (string.IsNullOrEmpty(name)) throw Errors.Validation("null", "name", "Member must not be null");
        if (!NamePattern().IsMatch(name))
        {
            throw Errors.Validation(name, "name", @"Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]{1,64}");
        }
        return name;
    }

    /// <summary>The schedule <paramref name="request"/> describes: a new one, or <paramref name="existing"/> with the given fields replaced.</summary>
    public static async Task<Schedule> BuildAsync(ScheduleRequest request, Schedule? existing, string account, string name, long now,
        FunctionInvoker invoker, string region)
    {
        var created = existing?.Created ?? now;
        var expressionText = request.ScheduleExpression ?? existing?.Expression
            ?? throw Errors.Validation("null", "scheduleExpression", "Member must not be null (e.g. rate(5 minutes) or cron(0 12 * * ? *))");
        if (expressionText.Length > 256) throw Errors.Validation(expressionText, "scheduleExpression", "Member must have length less than or equal to 256");
        var timezone = Timezone(request.ScheduleExpressionTimezone ?? existing?.Timezone ?? ScheduleTimezone.Utc);
        ScheduleExpression expression;
        try
        {
            expression = ScheduleExpression.Parse(expressionText, created, timezone);
        }
        catch (ScheduleExpressionException e)
        {
            throw new LambdaException(HttpStatusCode.BadRequest, "ValidationException", e.Message, MessageCasing.LowerNoType);
        }

        var state = request.State ?? existing?.State ?? Schedule.Enabled;
        if (state is not (Schedule.Enabled or Schedule.Disabled))
        {
            throw Errors.Validation(state, "state", "Member must satisfy enum value set: [ENABLED, DISABLED]");
        }
        if (state == Schedule.Enabled && expression.Next(DateTimeOffset.FromUnixTimeMilliseconds(now)) is null)
        {
            throw Errors.InvalidParameter($"{expressionText} never fires after now (check the year field), so the schedule would do nothing.");
        }

        var (functionName, qualifier) = (existing?.FunctionName, existing?.Qualifier);
        if (request.FunctionName is not null || existing is null)
        {
            if (string.IsNullOrEmpty(request.FunctionName)) throw Errors.Validation("null", "functionName", "Member must not be null");
            var parsed = FunctionName.Parse(request.FunctionName, account, region, null);
            await invoker.ResolveAsync(account, parsed.Name, parsed.Qualifier); // 404 for a function or qualifier that does not exist
            (functionName, qualifier) = (parsed.Name, parsed.Qualifier);
        }

        var input = request.Input is { } element ? Input(element) : existing?.Input;
        var description = request.Description ?? existing?.Description ?? "";
        if (description.Length > MaxDescriptionLength)
        {
            throw Errors.Validation(description, "description", $"Member must have length less than or equal to {MaxDescriptionLength}");
        }

        // Occurrences before now never fire for a new schedule, nor for one re-enabled or given a new expression or zone.
        var restart = existing is null || existing.Expression != expressionText || existing.Timezone != timezone.Id || !existing.IsEnabled;
        var fireAfter = restart ? now : existing!.FireAfter;
        return new Schedule(account, name, functionName!, qualifier, expressionText, timezone.Id, input, state, description, created, now,
            fireAfter, existing?.LastFired);
    }

    /// <summary>The IANA zone named by ScheduleExpressionTimezone, or a 400 naming the field with examples.</summary>
    private static TimeZoneInfo Timezone(string name) => ScheduleTimezone.Find(name)
        ?? throw Errors.Validation(name, "scheduleExpressionTimezone",
            $"Member must be an IANA time zone name of at most {ScheduleTimezone.MaxLength} characters, e.g. Europe/Berlin, America/New_York or UTC (the default)");

    /// <summary>The payload text: a JSON string holding JSON (EventBridge's Input), or a JSON value used as is; "" means none.</summary>
    private static string? Input(JsonElement element)
    {
        string text;
        if (element.ValueKind == JsonValueKind.String)
        {
            text = element.GetString()!;
            if (text.Length == 0) return null;
            try
            {
                using var _ = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                throw Errors.InvalidParameter($"Input must be valid JSON (it is the payload the function receives): {e.Message}");
            }
        }
        else if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        else
        {
            text = element.GetRawText();
        }
        if (text.Length > MaxInputLength) throw Errors.InvalidParameter($"Input is {text.Length} characters; the limit is {MaxInputLength}.");
        return text;
    }
}
