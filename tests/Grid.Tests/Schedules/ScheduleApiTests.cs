using Grid.Client;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Schedules;

/// <summary>The schedules API through the SDK and the `grid` CLI on an embedded node: CRUD, errors, AWS cron semantics.</summary>
public sealed class ScheduleApiTests(EmbeddedScheduleFixture fixture) : IClassFixture<EmbeddedScheduleFixture>
{
    [Fact]
    public async Task Create_get_list_update_and_delete_a_schedule_and_its_reminder()
    {
        var function = await fixture.DeployAsync();
        var name = NodeFixture.UniqueName("crud");
        var before = DateTimeOffset.UtcNow;
        var created = await fixture.Client.CreateScheduleAsync(new ScheduleRequest
        {
            Name = name, ScheduleExpression = "rate(5 minutes)", FunctionName = function, Description = "every five",
        });
        Assert.Equal(name, created.Name);
        Assert.Equal($"arn:aws:events:us-east-1:000000000000:rule/{name}", created.Arn);
        Assert.Equal(AsyncFunctionsArn(function), created.FunctionArn);
        Assert.Equal("ENABLED", created.State);
        Assert.Null(created.Input);
        Assert.Null(created.LastFireTime);
        // A rate counts from the minute of creation: the next fire is 5 minutes after it.
        var minute = before.ToUnixTimeMilliseconds() / 60_000 * 60_000;
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(minute + 300_000), created.NextFireTime);
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE '%/{name}'"));

        var conflict = await Assert.ThrowsAsync<GridException>(() => fixture.Client.CreateScheduleAsync(new ScheduleRequest
        {
            Name = name, ScheduleExpression = "rate(1 hour)", FunctionName = function,
        }));
        Assert.Equal((409, "ResourceConflictException"), (conflict.StatusCode, conflict.ErrorType));

        var updated = await fixture.Client.UpdateScheduleAsync(name, new ScheduleRequest { State = "DISABLED", Input = """{"job":"nightly"}""" });
        Assert.Equal(("DISABLED", """{"job":"nightly"}""", "every five", "rate(5 minutes)"),
            (updated.State, updated.Input, updated.Description, updated.ScheduleExpression));
        Assert.Null(updated.NextFireTime);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE '%/{name}'"));
        var enabled = await fixture.Client.UpdateScheduleAsync(name, new ScheduleRequest { State = "ENABLED", ScheduleExpression = "cron(0 12 * * ? *)" });
        Assert.Equal(12, enabled.NextFireTime!.Value.UtcDateTime.Hour);
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE '%/{name}'"));

        var got = await fixture.Client.GetScheduleAsync(name);
        Assert.Equal(("cron(0 12 * * ? *)", "ENABLED", """{"job":"nightly"}"""), (got.ScheduleExpression, got.State, got.Input));
        var listed = await ToListAsync(fixture.Client.ListSchedulesAsync(name));
        Assert.Equal(name, Assert.Single(listed).Name);

        // Another account sees nothing of it.
        using var other = ScheduleClients.For(fixture.Node, fixture.Other);
        Assert.Empty(await ToListAsync(other.ListSchedulesAsync(name)));
        await Assert.ThrowsAsync<GridNotFoundException>(() => other.GetScheduleAsync(name));
        await Assert.ThrowsAsync<GridNotFoundException>(() => other.DeleteScheduleAsync(name));

        await fixture.Client.DeleteScheduleAsync(name);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE '%/{name}'"));
        var gone = await Assert.ThrowsAsync<GridNotFoundException>(() => fixture.Client.GetScheduleAsync(name));
        Assert.Equal(404, gone.StatusCode);
        Assert.Contains($"Schedule {name} does not exist", gone.ServerMessage);
        await Assert.ThrowsAsync<GridNotFoundException>(() => fixture.Client.DeleteScheduleAsync(name));
    }

    public static TheoryData<string, string> BadExpressions => new()
    {
        { "cron(0 12 * * ?)", "cron(0 12 * * ?) has 5 fields; AWS cron expressions have 6: minutes hours day-of-month month day-of-week year" },
        { "cron(0 12 * * * *)", "put '?' in exactly one of day-of-month and day-of-week" },
        { "cron(0 12 ? * 0 *)", "the day-of-week '0' must be 1-7 (1 = SUN) or SUN-SAT" },
        { "cron(0 12 * * ? 1969)", "the year '1969' must be *, or years from 1970 to 2199" },
        { "cron(61 12 * * ? *)", "cron(61 12 * * ? *) is not valid" },
        { "rate(1 minutes)", "write rate(1 minute)" },
        { "rate(5 minute)", "write rate(5 minutes)" },
        { "rate(0 minutes)", "must be a whole number of 1 or more" },
        { "rate(30 seconds)", "the unit 'seconds' must be minute(s), hour(s) or day(s)" },
        { "every 5 minutes", "use rate(value unit), e.g. rate(5 minutes), or cron(" },
    };

    [Theory]
    [MemberData(nameof(BadExpressions))]
    public async Task A_bad_expression_is_a_400_ValidationException_that_says_what_is_wrong(string expression, string message)
    {
        var function = await fixture.DeployAsync();
        var error = await Assert.ThrowsAsync<GridException>(() => fixture.Client.CreateScheduleAsync(new ScheduleRequest
        {
            Name = NodeFixture.UniqueName("bad"), ScheduleExpression = expression, FunctionName = function,
        }));
        Assert.Equal((400, "ValidationException"), (error.StatusCode, error.ErrorType));
        Assert.Contains(message, error.ServerMessage);
    }

    [Fact]
    public async Task Other_bad_requests_name_the_field_and_nothing_is_stored()
    {
        var function = await fixture.DeployAsync();
        async Task<GridException> Fails(ScheduleRequest r) => await Assert.ThrowsAnyAsync<GridException>(() => fixture.Client.CreateScheduleAsync(r));
        var before = await fixture.CountAsync("SELECT count(*) FROM grid_schedules");

        var noName = await Fails(new ScheduleRequest { ScheduleExpression = "rate(1 hour)", FunctionName = function });
        Assert.Equal((400, "ValidationException"), (noName.StatusCode, noName.ErrorType));
        Assert.Contains("'name'", noName.ServerMessage);
        var badName = await Fails(new ScheduleRequest { Name = "has space", ScheduleExpression = "rate(1 hour)", FunctionName = function });
        Assert.Contains("regular expression pattern", badName.ServerMessage);
        var noExpression = await Fails(new ScheduleRequest { Name = "x", FunctionName = function });
        Assert.Contains("'scheduleExpression'", noExpression.ServerMessage);
        var noFunction = await Fails(new ScheduleRequest { Name = "x", ScheduleExpression = "rate(1 hour)" });
        Assert.Contains("'functionName'", noFunction.ServerMessage);
        var missingFunction = await Fails(new ScheduleRequest { Name = "x", ScheduleExpression = "rate(1 hour)", FunctionName = "no-such-function" });
        Assert.Equal((404, "ResourceNotFoundException"), (missingFunction.StatusCode, missingFunction.ErrorType));
        var missingAlias = await Fails(new ScheduleRequest { Name = "x", ScheduleExpression = "rate(1 hour)", FunctionName = function + ":nope" });
        Assert.Equal(404, missingAlias.StatusCode);
        var badState = await Fails(new ScheduleRequest { Name = "x", ScheduleExpression = "rate(1 hour)", FunctionName = function, State = "ON" });
        Assert.Contains("[ENABLED, DISABLED]", badState.ServerMessage);
        var badInput = await Fails(new ScheduleRequest { Name = "x", ScheduleExpression = "rate(1 hour)", FunctionName = function, Input = "{nope" });
        Assert.Equal((400, "InvalidParameterValueException"), (badInput.StatusCode, badInput.ErrorType));
        Assert.Contains("Input must be valid JSON", badInput.ServerMessage);
        var never = await Fails(new ScheduleRequest { Name = "x", ScheduleExpression = "cron(0 0 1 1 ? 2020)", FunctionName = function });
        Assert.Equal((400, "InvalidParameterValueException"), (never.StatusCode, never.ErrorType));
        Assert.Contains("never fires after now", never.ServerMessage);
        var missingUpdate = await Assert.ThrowsAsync<GridNotFoundException>(() => fixture.Client.UpdateScheduleAsync("no-such-schedule", new ScheduleRequest()));
        Assert.Equal(404, missingUpdate.StatusCode);

        Assert.Equal(before, await fixture.CountAsync("SELECT count(*) FROM grid_schedules"));
    }

    [Fact]
    public async Task Aws_cron_syntax_is_honoured_in_the_next_fire_time()
    {
        var function = await fixture.DeployAsync();
        var now = DateTime.UtcNow;
        var cases = new (string Expression, DateTime Expected)[]
        {
            ("cron(0 12 * * ? *)", Scan(now, t => t is { Hour: 12, Minute: 0 })),
            ("cron(15 10 ? * 6L *)", Scan(now, t => t is { Hour: 10, Minute: 15, DayOfWeek: DayOfWeek.Friday } && t.AddDays(7).Month != t.Month)),
            ("cron(0 9 ? * 2#1 *)", Scan(now, t => t is { Hour: 9, Minute: 0, DayOfWeek: DayOfWeek.Monday, Day: <= 7 })),
            ("cron(0 8 ? * MON-FRI *)", Scan(now, t => t is { Hour: 8, Minute: 0, DayOfWeek: not (DayOfWeek.Saturday or DayOfWeek.Sunday) })),
            ("cron(0 8 ? * 2-6 *)", Scan(now, t => t is { Hour: 8, Minute: 0, DayOfWeek: not (DayOfWeek.Saturday or DayOfWeek.Sunday) })),
            ("cron(0 18 L * ? *)", Scan(now, t => t is { Hour: 18, Minute: 0 } && t.AddDays(1).Month != t.Month)),
            ("cron(0/10 * * * ? *)", Scan(now, t => t.Minute % 10 == 0)),
            ("cron(30 6 1 1 ? 2099)", new DateTime(2099, 1, 1, 6, 30, 0, DateTimeKind.Utc)),
        };
        foreach (var (expression, expected) in cases)
        {
            var name = NodeFixture.UniqueName("cron");
            var s = await fixture.Client.CreateScheduleAsync(new ScheduleRequest
            {
                Name = name, ScheduleExpression = expression, FunctionName = function, State = "DISABLED",
            });
            Assert.Null(s.NextFireTime); // disabled
            var enabled = await fixture.Client.UpdateScheduleAsync(name, new ScheduleRequest { State = "ENABLED" });
            Assert.True(expected == enabled.NextFireTime?.UtcDateTime, $"{expression}: expected {expected:O}, got {enabled.NextFireTime:O}");
            await fixture.Client.DeleteScheduleAsync(name);
        }
    }

    [Fact]
    public async Task The_grid_cli_creates_lists_shows_and_deletes_schedules()
    {
        var function = await fixture.DeployAsync();
        var name = NodeFixture.UniqueName("cli");
        var create = await fixture.Grid.RunAsync("schedule", "create", name, "--expression", "cron(0 12 * * ? *)", "--function", function,
            "--input", """{"from":"cli"}""");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Contains($"Created schedule {name}: cron(0 12 * * ? *) -> {function}, next at ", create.StandardOutput);

        var list = await fixture.Grid.RunAsync("schedule", "list", "--prefix", name);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(name, list.StandardOutput);
        Assert.Contains("ENABLED", list.StandardOutput);

        var show = await fixture.Grid.RunAsync("--json", "schedule", "show", name);
        Assert.True(show.ExitCode == 0, show.ToString());
        var json = System.Text.Json.Nodes.JsonNode.Parse(show.StandardOutput)!;
        Assert.Equal("""{"from":"cli"}""", (string?)json["input"]);

        var bad = await fixture.Grid.RunAsync("schedule", "create", name + "-bad", "--expression", "cron(0 12 * * ?)", "--function", function);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("has 5 fields; AWS cron expressions have 6", bad.StandardError);

        var delete = await fixture.Grid.RunAsync("schedule", "delete", name);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Contains($"Deleted schedule {name}", delete.StandardOutput);
        var again = await fixture.Grid.RunAsync("schedule", "delete", name);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("does not exist", again.StandardError);
    }

    [Fact]
    public async Task A_cron_in_a_time_zone_reports_its_next_occurrence_in_utc_and_local_time_through_the_sdk_and_cli()
    {
        var function = await fixture.DeployAsync();
        var name = NodeFixture.UniqueName("tz");
        // 09:00 in Asia/Kolkata (UTC+05:30 all year, no DST) is 03:30 UTC.
        var expected = Scan(DateTime.UtcNow, t => t is { Hour: 3, Minute: 30 });
        var create = await fixture.Grid.RunAsync("schedule", "create", name, "--expression", "cron(0 9 * * ? *)", "--timezone", "Asia/Kolkata",
            "--function", function);
        Assert.True(create.ExitCode == 0, create.ToString());
        var nextText = $"{expected:yyyy-MM-dd} 03:30:00 UTC ({expected:yyyy-MM-dd} 09:00:00 +05:30 Asia/Kolkata)";
        Assert.Contains($"Created schedule {name}: cron(0 9 * * ? *) in Asia/Kolkata -> {function}, next at {nextText}", create.StandardOutput);

        var got = await fixture.Client.GetScheduleAsync(name);
        Assert.Equal<(string, DateTime?)>(("Asia/Kolkata", expected), (got.ScheduleExpressionTimezone, got.NextFireTime?.UtcDateTime));
        Assert.Equal((TimeSpan.FromHours(5.5), 9, 0), (got.NextFireTimeLocal!.Value.Offset, got.NextFireTimeLocal.Value.Hour, got.NextFireTimeLocal.Value.Minute));
        Assert.Equal(new DateTimeOffset(expected), got.NextFireTimeLocal);
        Assert.Equal("Asia/Kolkata", Assert.Single(await ToListAsync(fixture.Client.ListSchedulesAsync(name))).ScheduleExpressionTimezone);
        var show = await fixture.Grid.RunAsync("schedule", "show", name);
        Assert.Contains("Asia/Kolkata", show.StandardOutput);
        Assert.Contains(nextText, show.StandardOutput);

        // Another zone moves the occurrence (update keeps the expression); rates ignore the zone.
        var utc = await fixture.Client.UpdateScheduleAsync(name, new ScheduleRequest { ScheduleExpressionTimezone = "UTC" });
        Assert.Equal<(string, DateTime?)>(("UTC", Scan(DateTime.UtcNow, t => t is { Hour: 9, Minute: 0 })), (utc.ScheduleExpressionTimezone, utc.NextFireTime?.UtcDateTime));
        await fixture.Client.DeleteScheduleAsync(name);
        var before = DateTimeOffset.UtcNow;
        var rate = await fixture.Client.CreateScheduleAsync(new ScheduleRequest
        {
            Name = name, ScheduleExpression = "rate(1 hour)", ScheduleExpressionTimezone = "Asia/Kolkata", FunctionName = function,
        });
        // The creation minute + 1 hour, not shifted by the zone's offset.
        Assert.InRange(rate.NextFireTime!.Value, Minute(before).AddHours(1), Minute(DateTimeOffset.UtcNow).AddHours(1));
        await fixture.Client.DeleteScheduleAsync(name);
    }

    [Fact]
    public async Task Daylight_saving_time_skips_times_the_clock_skips_and_fires_repeated_times_once()
    {
        var function = await fixture.DeployAsync();
        // Europe/Berlin: CET (UTC+1), CEST (UTC+2) from the last Sunday of March to the last Sunday of October.
        var year = DateTime.UtcNow.Year + 1;
        // 1L is the last Sunday of the month: in March 02:00-02:59 does not exist; in October it happens twice, first in CEST.
        var cases = new (string Expression, DateTime? Expected)[]
        {
            ($"cron(30 2 ? 3,4 1L {year})", LastSunday(year, 4).AddMinutes(30)), // March's is skipped; April's 02:30 CEST
            ($"cron(30 2 ? 10 1L {year})", LastSunday(year, 10).AddMinutes(30)), // 02:30 CEST, the first pass
            ($"cron(0 12 1 7 ? {year})", new DateTime(year, 7, 1, 10, 0, 0, DateTimeKind.Utc)),
            ($"cron(0 12 1 12 ? {year})", new DateTime(year, 12, 1, 11, 0, 0, DateTimeKind.Utc)),
            ($"cron(30 2 ? 3 1L {year})", null), // its only occurrence is skipped: the schedule never fires
        };
        foreach (var (expression, expected) in cases)
        {
            var request = new ScheduleRequest
            {
                Name = NodeFixture.UniqueName("dst"), ScheduleExpression = expression, ScheduleExpressionTimezone = "Europe/Berlin", FunctionName = function,
            };
            if (expected is null)
            {
                var never = await Assert.ThrowsAsync<GridException>(() => fixture.Client.CreateScheduleAsync(request));
                Assert.Contains("never fires after now", never.ServerMessage);
                continue;
            }
            var s = await fixture.Client.CreateScheduleAsync(request);
            Assert.True(expected == s.NextFireTime?.UtcDateTime, $"{expression}: expected {expected:O}, got {s.NextFireTime:O}");
            await fixture.Client.DeleteScheduleAsync(request.Name!);
        }
    }

    [Fact]
    public async Task An_unknown_time_zone_is_a_400_naming_the_field_with_an_example()
    {
        var function = await fixture.DeployAsync();
        var error = await Assert.ThrowsAsync<GridException>(() => fixture.Client.CreateScheduleAsync(new ScheduleRequest
        {
            Name = NodeFixture.UniqueName("tz"), ScheduleExpression = "cron(0 9 * * ? *)", ScheduleExpressionTimezone = "Mars/Olympus_Mons",
            FunctionName = function,
        }));
        Assert.Equal((400, "ValidationException"), (error.StatusCode, error.ErrorType));
        Assert.Contains("Value 'Mars/Olympus_Mons' at 'scheduleExpressionTimezone'", error.ServerMessage);
        Assert.Contains("e.g. Europe/Berlin", error.ServerMessage);

        var cli = await fixture.Grid.RunAsync("schedule", "create", NodeFixture.UniqueName("tz"), "--expression", "cron(0 9 * * ? *)",
            "--timezone", "W. Europe Standard Time", "--function", function);
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("'scheduleExpressionTimezone'", cli.StandardError);
    }

    private static DateTimeOffset Minute(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds() / 60_000 * 60_000);

    /// <summary>Midnight (UTC kind, for building expected UTC instants) of the last Sunday of the month.</summary>
    private static DateTime LastSunday(int year, int month)
    {
        var day = new DateTime(year, month, DateTime.DaysInMonth(year, month), 0, 0, 0, DateTimeKind.Utc);
        while (day.DayOfWeek != DayOfWeek.Sunday) day = day.AddDays(-1);
        return day;
    }

    private static string AsyncFunctionsArn(string function) => Async.AsyncFunctions.Arn("000000000000", function);

    /// <summary>The first whole minute after <paramref name="from"/> matching <paramref name="matches"/> (an independent reference).</summary>
    private static DateTime Scan(DateTime from, Func<DateTime, bool> matches)
    {
        var t = new DateTime(from.Year, from.Month, from.Day, from.Hour, from.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        while (!matches(t)) t = t.AddMinutes(1);
        return t;
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var i in items) list.Add(i);
        return list;
    }
}
