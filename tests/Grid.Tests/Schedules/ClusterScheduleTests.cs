using Grid.Client;
using Grid.Tests.Async;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Schedules;

/// <summary>Two nodes on a private PostgreSQL: a second node, and a callback listener for the schedule's function.</summary>
public sealed class ClusterScheduleFixture : TwoNodeClusterFixture
{
    public ClusterScheduleFixture() => Listener = Own(new CallbackListener());

    public CallbackListener Listener { get; }
}

/// <summary>Cluster mode: the reminder lives in PostgreSQL (Grid's own schema for the ADO.NET provider) and fires once per occurrence.</summary>
public sealed class ClusterScheduleTests(ClusterScheduleFixture fixture) : IClassFixture<ClusterScheduleFixture>
{
    [Fact]
    public async Task A_schedule_created_on_one_node_fires_once_per_minute_through_adonet_reminders_on_postgresql()
    {
        var function = await AsyncFunctions.DeployAsync(fixture.Cli, fixture.Listener.Url);
        using var first = ScheduleClients.For(fixture.Node, fixture.Main);
        using var second = ScheduleClients.For(fixture.Second, fixture.Main);
        var name = NodeFixture.UniqueName("pg");
        await first.CreateScheduleAsync(new ScheduleRequest { Name = name, ScheduleExpression = "rate(1 minute)", FunctionName = function });
        Assert.Equal("rate(1 minute)", (await second.GetScheduleAsync(name)).ScheduleExpression);
        Assert.Equal(1, await fixture.CountAsync(
            $"SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE '%/{name}' AND Period = 60000 AND ServiceId = 'grid'"));

        var reports = await fixture.Listener.WaitAsync(function, r => r.Count >= 1, TimeSpan.FromSeconds(80));
        var e = reports[0].Event!;
        Assert.Equal("Scheduled Event", (string?)e["detail-type"]);
        Assert.Equal(ClusterNodeFixture.MainAccount, (string?)e["account"]);
        Assert.Equal($"arn:aws:events:us-east-1:{ClusterNodeFixture.MainAccount}:rule/{name}", (string?)e["resources"]![0]);
        await Task.Delay(TimeSpan.FromSeconds(3)); // a duplicate from the other node would arrive by now
        Assert.Single(fixture.Listener.For(function), r => (string?)r.Event!["time"] == (string?)e["time"]);

        await second.DeleteScheduleAsync(name);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE '%/{name}'"));
        await Assert.ThrowsAsync<GridNotFoundException>(() => first.GetScheduleAsync(name));
    }
}
