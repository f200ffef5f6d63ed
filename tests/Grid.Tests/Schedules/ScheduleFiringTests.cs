using System.Text.Json.Nodes;
using Grid.Client;
using Grid.Tests.Async;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Schedules;

/// <summary>
/// Schedules firing for real: a rate(1 minute) schedule delivers EventBridge's scheduled event to a python function, a
/// schedule with Input delivers that, a disabled one nothing; after a restart on the same data directory (the reminder
/// persisted in SQLite) they fire again. One minute-long wait covers each phase. A cron in a time zone fires at that
/// zone's wall-clock time.
/// </summary>
public sealed class ScheduleFiringTests(EmbeddedScheduleFixture fixture) : IClassFixture<EmbeddedScheduleFixture>
{
    /// <summary>A rate(1 minute) schedule fires at the next minute boundary; leave room for a cold start.</summary>
    private static readonly TimeSpan MinuteAndColdStart = TimeSpan.FromSeconds(80);

    [Fact]
    public async Task Rate_schedules_fire_eventbridge_events_and_keep_firing_after_a_restart()
    {
        var plain = await fixture.DeployAsync();
        var withInput = await fixture.DeployAsync();
        var disabled = await fixture.DeployAsync();
        var name = NodeFixture.UniqueName("tick");
        var created = DateTimeOffset.UtcNow;
        await fixture.Client.CreateScheduleAsync(new ScheduleRequest { Name = name, ScheduleExpression = "rate(1 minute)", FunctionName = plain });
        await fixture.Client.CreateScheduleAsync(new ScheduleRequest
        {
            Name = name + "-input", ScheduleExpression = "rate(1 minute)", FunctionName = withInput, Input = """{"job":"report","n":1}""",
        });
        await fixture.Client.CreateScheduleAsync(new ScheduleRequest
        {
            Name = name + "-off", ScheduleExpression = "rate(1 minute)", FunctionName = disabled, State = "DISABLED",
        });

        var first = (await ScheduleClients.FirstAsync(fixture.Listener, plain, MinuteAndColdStart))[0];
        var input = (await ScheduleClients.FirstAsync(fixture.Listener, withInput, TimeSpan.FromSeconds(20)))[0];
        var e = first.Event!.AsObject();
        Assert.Equal(new[] { "version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail" }, e.Select(p => p.Key));
        Assert.Equal("0", (string?)e["version"]);
        Assert.Equal(first.RequestId, (string?)e["id"]); // the event id is the invocation's request id
        Assert.True(Guid.TryParse((string?)e["id"], out _));
        Assert.Equal("Scheduled Event", (string?)e["detail-type"]);
        Assert.Equal("aws.events", (string?)e["source"]);
        Assert.Equal("000000000000", (string?)e["account"]);
        Assert.Equal("us-east-1", (string?)e["region"]);
        Assert.Equal($"arn:aws:events:us-east-1:000000000000:rule/{name}", (string?)e["resources"]![0]);
        Assert.Single(e["resources"]!.AsArray());
        Assert.Equal("{}", e["detail"]!.ToJsonString());
        var time = DateTimeOffset.Parse((string)e["time"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$", (string)e["time"]!);
        Assert.InRange(time, created, created.AddSeconds(61)); // the first minute boundary after creation
        Assert.Equal("""{"job":"report","n":1}""", input.Event!.ToJsonString());
        Assert.Empty(fixture.Listener.For(disabled));
        var shown = await fixture.Client.GetScheduleAsync(name);
        Assert.Equal(time, shown.LastFireTime);
        Assert.Equal(time.AddMinutes(1), shown.NextFireTime);

        // The reminder is durable in the node's SQLite file; the node restarts on the same data directory.
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE '%/{name}'"));
        await fixture.RestartAsync();
        var restarted = DateTimeOffset.UtcNow;
        var after = await fixture.Listener.WaitAsync(plain,
            r => r.Any(x => Time(x) >= restarted.AddSeconds(-60) && Time(x) > time), MinuteAndColdStart);

        // Every occurrence fired once (distinct ids, distinct whole-minute times), in order, and the disabled one never.
        var times = after.Select(Time).ToList();
        Assert.Equal(times.Count, times.Distinct().Count());
        Assert.Equal(after.Count, after.Select(r => r.RequestId).Distinct().Count());
        Assert.Equal(times.Order().ToList(), times);
        Assert.Empty(fixture.Listener.For(disabled));

        await fixture.Client.DeleteScheduleAsync(name);
        await fixture.Client.DeleteScheduleAsync(name + "-input");
        await fixture.Client.DeleteScheduleAsync(name + "-off");
        Assert.Equal(0, await fixture.CountAsync("SELECT count(*) FROM OrleansRemindersTable"));
    }

    [Fact]
    public async Task A_cron_in_a_time_zone_fires_at_that_zones_wall_clock_time()
    {
        var function = await fixture.DeployAsync();
        // The first whole minute at least 15 s away, written as Asia/Kolkata wall-clock time (UTC+05:30, no DST): read as
        // UTC it would be 5.5 hours off, so only a zone-aware schedule fires now.
        var soon = DateTimeOffset.UtcNow.AddSeconds(15);
        var target = DateTimeOffset.FromUnixTimeMilliseconds(soon.ToUnixTimeMilliseconds() / 60_000 * 60_000 + 60_000);
        var local = target.ToOffset(TimeSpan.FromHours(5.5));
        var name = NodeFixture.UniqueName("kolkata");
        await fixture.Client.CreateScheduleAsync(new ScheduleRequest
        {
            Name = name, ScheduleExpression = $"cron({local.Minute} {local.Hour} * * ? *)", ScheduleExpressionTimezone = "Asia/Kolkata",
            FunctionName = function,
        });
        try
        {
            var fired = (await ScheduleClients.FirstAsync(fixture.Listener, function, MinuteAndColdStart + TimeSpan.FromSeconds(20)))[0];
            Assert.Equal(target, Time(fired));
        }
        finally
        {
            await fixture.Client.DeleteScheduleAsync(name);
        }
    }

    private static DateTimeOffset Time(CallbackListener.Report r) =>
        DateTimeOffset.Parse((string)r.Event!["time"]!, System.Globalization.CultureInfo.InvariantCulture);
}
