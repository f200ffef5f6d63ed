using System.Data.Common;
using Grid.Server.Async;
using Grid.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Grid.Server.Triggers.Schedules;

/// <summary>
/// Hands a schedule's due occurrences to the durable async queue (so Lambda's async retries, event age and destinations
/// apply), each under an id derived from the occurrence, then records the last one fired.
/// </summary>
public sealed class ScheduleFirer(ScheduleStore store, AsyncEventQueue queue, IOptions<GridOptions> options, ILogger<ScheduleFirer> logger)
{
    /// <summary>Occurrences this recent are all fired (a late tick); older ones were missed while no node ran the schedule.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    /// <summary>Fires what is due at <paramref name="now"/>; returns the next occurrence after it (null: none ever again).</summary>
    public async Task<DateTimeOffset?> FireDueAsync(Schedule schedule, DateTimeOffset now, CancellationToken ct = default)
    {
        var expression = schedule.ParsedExpression();
        var due = DueOccurrences(expression, schedule.FiredUpTo, now);
        foreach (var occurrence in due)
        {
            var id = ScheduledEvent.Id(schedule, occurrence);
            var payload = ScheduledEvent.Payload(schedule, occurrence, id, options.Value.Region);
            try
            {
                await queue.EnqueueAsync(new NewAsyncEvent(id, schedule.AccountId, schedule.FunctionName, schedule.Qualifier, payload), ct);
                logger.LogInformation("Schedule {Account}/{Schedule} fired its {Occurrence:O} occurrence as event {EventId}",
                    schedule.AccountId, schedule.Name, occurrence, id);
            }
            catch (DbException e) when (IsDuplicateKey(e))
            {
                // A duplicated tick (or a retry after a crash between the two writes) already queued this occurrence.
            }
            await store.AdvanceLastFiredAsync(schedule.AccountId, schedule.Name, schedule.Created, occurrence.ToUnixTimeMilliseconds(), ct);
        }
        return expression.Next(now);
    }

    /// <summary>
    /// The occurrences to fire: every one after <paramref name="lastFired"/> within <see cref="Grace"/> of now; when there is
    /// none but older ones were missed (the schedule's node was down), only the latest of those, so a long outage does not
    /// flood the function.
    /// </summary>
    public static List<DateTimeOffset> DueOccurrences(ScheduleExpression expression, DateTimeOffset lastFired, DateTimeOffset now)
    {
        var windowStart = now - Grace;
        var due = new List<DateTimeOffset>();
        for (var next = expression.Next(lastFired > windowStart ? lastFired : windowStart); next is { } n && n <= now; next = expression.Next(n))
        {
            due.Add(n);
        }
        if (due.Count == 0 && lastFired < windowStart && expression.Previous(windowStart) is { } missed && missed > lastFired)
        {
            due.Add(missed);
        }
        return due;
    }

    private static bool IsDuplicateKey(DbException e) => e switch
    {
        Npgsql.PostgresException p => p.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException s => s.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        _ => false,
    };
}
