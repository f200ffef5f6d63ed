using System.CommandLine;
using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>`grid schedule create NAME --expression EXPR --function FN [--timezone ZONE] | list | show NAME | delete NAME`.</summary>
public static class ScheduleCommand
{
    public static Command Create()
    {
        var command = new Command("schedule", "Invoke functions on a rate or cron schedule (EventBridge-style, cron in any IANA time zone)");
        command.Aliases.Add("schedules");
        command.Add(CreateSchedule());
        command.Add(List());
        command.Add(Show());
        command.Add(Delete());
        return command;
    }

    private static Command CreateSchedule()
    {
        var name = new Argument<string>("name") { Description = "Schedule name (letters, digits, . - _; up to 64)" };
        var expression = new Option<string>("--expression", "-e")
        {
            Description = "rate(5 minutes) | rate(1 hour) | cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 12 * * ? *)",
            Required = true,
        };
        var timezone = new Option<string?>("--timezone")
        {
            Description = "IANA time zone the cron expression is evaluated in, with its daylight saving time, e.g. Europe/Berlin (default: UTC; rates ignore it)",
        };
        var function = new Option<string>("--function", "-f") { Description = "Function to invoke (name, name:qualifier or ARN)", Required = true };
        var input = new Option<string?>("--input") { Description = "JSON the function receives (default: the EventBridge scheduled event)" };
        var description = new Option<string?>("--description") { Description = "Free text" };
        var disabled = new Option<bool>("--disabled") { Description = "Create it disabled" };
        var create = new Command("create", "Create a schedule") { name, expression, timezone, function, input, description, disabled };
        create.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var schedule = await cli.Client.CreateScheduleAsync(new ScheduleRequest
            {
                Name = parse.GetRequiredValue(name),
                ScheduleExpression = parse.GetRequiredValue(expression),
                ScheduleExpressionTimezone = parse.GetValue(timezone),
                FunctionName = parse.GetRequiredValue(function),
                Input = parse.GetValue(input),
                Description = parse.GetValue(description),
                State = parse.GetValue(disabled) ? "DISABLED" : "ENABLED",
            }, cancellationToken);
            if (cli.Json)
            {
                Terminal.WriteJson(schedule);
                return ExitCodes.Ok;
            }
            var next = NextTime(schedule) is { } at ? $", next at {at}" : " (disabled)";
            var zone = IsUtc(schedule) ? "" : " in " + schedule.ScheduleExpressionTimezone;
            Terminal.Out.MarkupLine(
                $"Created schedule [bold]{Markup.Escape(schedule.Name)}[/]: {Markup.Escape(schedule.ScheduleExpression + zone)} -> {Markup.Escape(schedule.FunctionName + next)}");
            return ExitCodes.Ok;
        });
        return create;
    }

    private static Command List()
    {
        var prefix = new Option<string?>("--prefix") { Description = "Only schedules whose name starts with this" };
        var list = new Command("list", "List the account's schedules") { prefix };
        list.Aliases.Add("ls");
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var schedules = new List<ScheduleInfo>();
            await foreach (var s in cli.Client.ListSchedulesAsync(parse.GetValue(prefix), cancellationToken)) schedules.Add(s);
            if (cli.Json)
            {
                Terminal.WriteJson(schedules);
                return ExitCodes.Ok;
            }
            if (schedules.Count == 0)
            {
                Terminal.Note("No schedules yet: `grid schedule create NAME --expression 'rate(5 minutes)' --function FN` creates one.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("NAME", "EXPRESSION", "TIME ZONE", "FUNCTION", "STATE", "LAST FIRED", "NEXT");
            foreach (var s in schedules)
            {
                table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.ScheduleExpression), Markup.Escape(s.ScheduleExpressionTimezone),
                    Markup.Escape(s.FunctionName), s.State, s.LastFireTime is { } last ? Time(last) : "-", NextTime(s) ?? "-");
            }
            Terminal.Out.Write(table);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Show()
    {
        var name = new Argument<string>("name") { Description = "Schedule name" };
        var show = new Command("show", "Show a schedule") { name };
        show.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var s = await cli.Client.GetScheduleAsync(parse.GetRequiredValue(name), cancellationToken);
            if (cli.Json)
            {
                Terminal.WriteJson(s);
                return ExitCodes.Ok;
            }
            Terminal.KeyValues(
                ("Name", s.Name),
                ("ARN", s.Arn),
                ("Expression", s.ScheduleExpression),
                ("Time zone", s.ScheduleExpressionTimezone),
                ("Function", s.FunctionArn),
                ("State", s.State),
                ("Input", s.Input ?? "(EventBridge scheduled event)"),
                ("Description", string.IsNullOrEmpty(s.Description) ? null : s.Description),
                ("Created", Time(s.CreationDate)),
                ("Last fired", s.LastFireTime is { } last ? Time(last) : "never"),
                ("Next", NextTime(s)));
            return ExitCodes.Ok;
        });
        return show;
    }

    private static Command Delete()
    {
        var name = new Argument<string>("name") { Description = "Schedule name" };
        var delete = new Command("delete", "Delete a schedule (it stops firing at once)") { name };
        delete.Aliases.Add("rm");
        delete.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var schedule = parse.GetRequiredValue(name);
            await cli.Client.DeleteScheduleAsync(schedule, cancellationToken);
            if (cli.Json) Terminal.WriteJson(new { deleted = schedule });
            else Terminal.Out.MarkupLine($"Deleted schedule [bold]{Markup.Escape(schedule)}[/]");
            return ExitCodes.Ok;
        });
        return delete;
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsUtc(ScheduleInfo s) => s.ScheduleExpressionTimezone is "UTC" or "";

    /// <summary>
    /// The next occurrence as a UTC instant and, for a schedule in another zone, also as the zone's wall-clock time:
    /// "2026-11-26 06:30:00 UTC (2026-11-26 12:00:00 +05:30 Asia/Kolkata)". The node computes both, so the CLI needs no tz database.
    /// </summary>
    private static string? NextTime(ScheduleInfo s)
    {
        if (s.NextFireTime is not { } next) return null;
        if (IsUtc(s) || s.NextFireTimeLocal is not { } local) return Time(next);
        var wallClock = local.ToString("yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture);
        return $"{Time(next)} ({wallClock} {s.ScheduleExpressionTimezone})";
    }
}
