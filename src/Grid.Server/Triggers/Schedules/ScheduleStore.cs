using System.Data.Common;
using Grid.Server.Storage;

namespace Grid.Server.Triggers.Schedules;

/// <summary>The schedules table (<c>grid_schedules</c>): the truth about which schedules exist; reminders only drive the firing.</summary>
public sealed class ScheduleStore(Database database)
{
    private const string Columns =
        "account_id, name, function_name, qualifier, expression, input, state, description, created, last_modified, fire_after, last_fired, timezone";

    /// <summary>Adds the schedule; false when one of that name exists in the account.</summary>
    public async Task<bool> InsertAsync(Schedule s, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var insert = connection.Command(
            $"""
             INSERT INTO grid_schedules ({Columns}) VALUES (@a, @n, @f, @q, @e, @i, @s, @d, @c, @m, @fa, @l, @tz)
             ON CONFLICT (account_id, name) DO NOTHING
             """, Parameters(s));
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Replaces the schedule's settings (not its creation time); false when it no longer exists.</summary>
    public async Task<bool> UpdateAsync(Schedule s, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var update = connection.Command(
            """
            UPDATE grid_schedules SET function_name = @f, qualifier = @q, expression = @e, timezone = @tz, input = @i, state = @s,
                description = @d, last_modified = @m, fire_after = @fa
            WHERE account_id = @a AND name = @n AND created = @c
            """, Parameters(s));
        return await update.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<Schedule?> GetAsync(string accountId, string name, CancellationToken ct = default)
    {
        var found = await QueryAsync($"SELECT {Columns} FROM grid_schedules WHERE account_id = @a AND name = @n", ct, ("@a", accountId), ("@n", name));
        return found.Count == 0 ? null : found[0];
    }

    public Task<List<Schedule>> ListAsync(string accountId, CancellationToken ct = default) =>
        QueryAsync($"SELECT {Columns} FROM grid_schedules WHERE account_id = @a ORDER BY name", ct, ("@a", accountId));

    /// <summary>Every enabled schedule of every account (what the reconciler arms at node start).</summary>
    public Task<List<Schedule>> ListEnabledAsync(CancellationToken ct = default) =>
        QueryAsync($"SELECT {Columns} FROM grid_schedules WHERE state = @s", ct, ("@s", Schedule.Enabled));

    public async Task<bool> DeleteAsync(string accountId, string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var delete = connection.Command("DELETE FROM grid_schedules WHERE account_id = @a AND name = @n", ("@a", accountId), ("@n", name));
        return await delete.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Records that the occurrence at <paramref name="occurrenceMs"/> was queued. Conditional on the schedule's generation
    /// (<paramref name="created"/>) and on moving forward, so a late duplicate tick cannot move it back.
    /// </summary>
    public async Task<bool> AdvanceLastFiredAsync(string accountId, string name, long created, long occurrenceMs, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var update = connection.Command(
            "UPDATE grid_schedules SET last_fired = @o WHERE account_id = @a AND name = @n AND created = @c AND (last_fired IS NULL OR last_fired < @o)",
            ("@o", occurrenceMs), ("@a", accountId), ("@n", name), ("@c", created));
        return await update.ExecuteNonQueryAsync(ct) == 1;
    }

    private static (string, object?)[] Parameters(Schedule s) =>
    [
        ("@a", s.AccountId), ("@n", s.Name), ("@f", s.FunctionName), ("@q", s.Qualifier), ("@e", s.Expression), ("@i", s.Input),
        ("@s", s.State), ("@d", s.Description), ("@c", s.Created), ("@m", s.LastModified), ("@fa", s.FireAfter), ("@l", s.LastFired),
        ("@tz", s.Timezone),
    ];

    private async Task<List<Schedule>> QueryAsync(string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(sql, parameters);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var schedules = new List<Schedule>();
        while (await reader.ReadAsync(ct)) schedules.Add(Read(reader));
        return schedules;
    }

    private static Schedule Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4), r.GetString(12),
        r.IsDBNull(5) ? null : r.GetString(5), r.GetString(6), r.GetString(7),
        Convert.ToInt64(r.GetValue(8)), Convert.ToInt64(r.GetValue(9)), Convert.ToInt64(r.GetValue(10)),
        r.IsDBNull(11) ? null : Convert.ToInt64(r.GetValue(11)));
}
