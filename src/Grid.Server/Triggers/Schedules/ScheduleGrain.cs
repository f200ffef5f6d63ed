using Orleans.Runtime;

namespace Grid.Server.Triggers.Schedules;

/// <summary>
/// Fires one schedule. A durable Orleans reminder (period 1 minute, the Orleans minimum, due on minute boundaries) keeps
/// the grain alive somewhere in the cluster and survives restarts; on each tick the grain fires what is due. Reminder ticks
/// are coarse, so while active the grain also keeps a timer for the exact next occurrence when it is less than a tick away.
/// Both paths go through <see cref="ScheduleFirer"/>, whose occurrence-derived event ids make a duplicate tick harmless.
/// </summary>
public sealed class ScheduleGrain(ScheduleStore store, ScheduleFirer firer, TimeProvider time, ILogger<ScheduleGrain> logger)
    : Grain, IScheduleGrain, IRemindable
{
    private const string ReminderName = "fire";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan TimerHorizon = TimeSpan.FromSeconds(75);
    private IGrainTimer? _timer;

    public Task Sync() => RunAsync(ensureReminder: true);

    public Task ReceiveReminder(string reminderName, TickStatus status) => RunAsync(ensureReminder: false);

    private async Task RunAsync(bool ensureReminder)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/');
        var schedule = await store.GetAsync(key[..slash], key[(slash + 1)..]);
        if (schedule is not { IsEnabled: true })
        {
            // Deleted or disabled: no reminder, no timer, and the activation goes away.
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
            DeactivateOnIdle();
            return;
        }
        if (ensureReminder && await this.GetReminder(ReminderName) is null)
        {
            // First tick one second after the next minute boundary: cron occurrences fall on minute boundaries.
            var now = time.GetUtcNow();
            var boundary = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds() / 60_000 * 60_000 + 60_000);
            await this.RegisterOrUpdateReminder(ReminderName, boundary - now + TimeSpan.FromSeconds(1), ReminderPeriod);
            logger.LogInformation("Schedule {Schedule} armed ({Expression}, {Timezone})", key, schedule.Expression, schedule.Timezone);
        }
        var next = await firer.FireDueAsync(schedule, time.GetUtcNow());
        PlanTimer(next);
    }

    /// <summary>A one-shot timer at the next occurrence when it comes before the next reminder tick could.</summary>
    private void PlanTimer(DateTimeOffset? next)
    {
        var wait = next is { } at ? at - time.GetUtcNow() + TimeSpan.FromMilliseconds(20) : Timeout.InfiniteTimeSpan;
        if (wait > TimerHorizon) wait = Timeout.InfiniteTimeSpan;
        else if (wait < TimeSpan.Zero && wait != Timeout.InfiniteTimeSpan) wait = TimeSpan.Zero;
        if (_timer is null)
        {
            if (wait == Timeout.InfiniteTimeSpan) return;
            _timer = this.RegisterGrainTimer(() => RunAsync(ensureReminder: false),
                new GrainTimerCreationOptions { DueTime = wait, Period = Timeout.InfiniteTimeSpan });
            return;
        }
        _timer.Change(wait, Timeout.InfiniteTimeSpan);
    }
}
