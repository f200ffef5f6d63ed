using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json;
using Grid.Server.Storage;

namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// Event source mappings (grid_event_source_mappings) and their initial checkpoints (grid_esm_checkpoints). The consumers
/// read <see cref="ListEnabledAsync"/> every few seconds; the API reads and writes single rows.
/// </summary>
public sealed class MappingStore(Database database, TimeProvider time)
{
    private const string Columns =
        "m.uuid, m.account_id, m.function_name, m.qualifier, m.event_source_arn, m.stream_id, COALESCE(s.shard_count, 0), m.config, m.state, "
        + "m.state_reason, m.last_processing_result, m.created, m.last_modified";

    private const string From = "FROM grid_event_source_mappings m LEFT JOIN grid_streams s ON s.id = m.stream_id";

    // The last result written per mapping, so the hot path writes only when it changes (and once per node after a start).
    private readonly ConcurrentDictionary<string, string> _lastResults = new();

    public long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Every enabled mapping whose stream exists; what the consumers run.</summary>
    public Task<IReadOnlyList<MappingSnapshot>> ListEnabledAsync(CancellationToken ct = default) =>
        SnapshotsAsync($"SELECT {Columns} {From} WHERE m.state = @st AND s.status = 'ACTIVE' ORDER BY m.uuid", ct, ("@st", MappingRow.Enabled));

    public async Task<MappingSnapshot?> GetAsync(string uuid, CancellationToken ct = default) => (await GetRowAsync(uuid, ct))?.Snapshot;

    public async Task<MappingRow?> GetRowAsync(string uuid, CancellationToken ct = default)
    {
        var rows = await RowsAsync($"SELECT {Columns} {From} WHERE m.uuid = @u", ct, ("@u", uuid));
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <summary>The account's mappings, optionally of one source and/or one function (unqualified name; null qualifier matches all).</summary>
    public Task<List<MappingRow>> ListAsync(string accountId, string? eventSourceArn, string? functionName, CancellationToken ct = default)
    {
        var sql = $"SELECT {Columns} {From} WHERE m.account_id = @a";
        List<(string, object?)> args = [("@a", accountId)];
        if (eventSourceArn is not null)
        {
            sql += " AND m.event_source_arn = @arn";
            args.Add(("@arn", eventSourceArn));
        }
        if (functionName is not null)
        {
            sql += " AND m.function_name = @f";
            args.Add(("@f", functionName));
        }
        return RowsAsync(sql + " ORDER BY m.uuid", ct, [.. args]);
    }

    /// <summary>
    /// Inserts the mapping and its checkpoint per shard in one transaction, unless the stream has gone meanwhile (a
    /// concurrent DeleteStream) or the stream already has a mapping of the same function and qualifier.
    /// </summary>
    public async Task<MappingCreateResult> CreateAsync(MappingRow row, IReadOnlyList<long> checkpoints, CancellationToken ct = default)
    {
        var m = row.Snapshot;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (database.IsPostgres)
        {
            // Two concurrent creates of the same pair would both see no duplicate; serialise them on the pair.
            await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(hashtext(@k))", ct, ("@k", $"esm:{m.StreamId}:{m.FunctionName}"));
        }
        // Holding the stream row (FOR SHARE) makes a concurrent DeleteStream wait for this insert, so its sweep of the
        // stream's mappings sees it; SQLite transactions are serial anyway.
        await using (var stream = connection.Command(
            "SELECT 1 FROM grid_streams WHERE id = @s" + (database.IsPostgres ? " FOR SHARE" : ""), ("@s", m.StreamId)))
        {
            stream.Transaction = tx;
            if (await stream.ExecuteScalarAsync(ct) is null) return new MappingCreateResult(MappingCreateOutcome.StreamGone, null);
        }
        // The same stream, not the same ARN: a re-created stream of the same name is another stream (a new id).
        await using (var duplicate = connection.Command(
            "SELECT uuid FROM grid_event_source_mappings WHERE stream_id = @s AND function_name = @f AND COALESCE(qualifier, '') = @q",
            ("@s", m.StreamId), ("@f", m.FunctionName), ("@q", m.Qualifier ?? "")))
        {
            duplicate.Transaction = tx;
            if (await duplicate.ExecuteScalarAsync(ct) is string existing) return new MappingCreateResult(MappingCreateOutcome.Duplicate, existing);
        }
        await ExecuteAsync(connection, tx,
            "INSERT INTO grid_event_source_mappings (uuid, account_id, function_name, qualifier, event_source_arn, stream_id, config, state, "
            + "state_reason, last_processing_result, created, last_modified) VALUES (@u, @a, @f, @q, @arn, @s, @c, @st, @r, @l, @cr, @lm)", ct,
            ("@u", m.Uuid), ("@a", m.AccountId), ("@f", m.FunctionName), ("@q", m.Qualifier), ("@arn", m.EventSourceArn), ("@s", m.StreamId),
            ("@c", Serialize(m.Settings)), ("@st", row.State), ("@r", row.StateReason), ("@l", row.LastProcessingResult),
            ("@cr", row.CreatedMs), ("@lm", row.LastModifiedMs));
        await using (var checkpoint = connection.Command(
            "INSERT INTO grid_esm_checkpoints (mapping_uuid, shard, seq, updated) VALUES (@u, @sh, @seq, @t)",
            ("@u", m.Uuid), ("@sh", 0), ("@seq", 0L), ("@t", row.CreatedMs)))
        {
            checkpoint.Transaction = tx;
            for (var shard = 0; shard < checkpoints.Count; shard++)
            {
                checkpoint.Parameters["@sh"].Value = shard;
                checkpoint.Parameters["@seq"].Value = checkpoints[shard];
                await checkpoint.ExecuteNonQueryAsync(ct);
            }
        }
        await tx.CommitAsync(ct);
        return new MappingCreateResult(MappingCreateOutcome.Created, null);
    }

    /// <summary>Writes the function, settings and state of an existing mapping; false when it no longer exists.</summary>
    public async Task<bool> UpdateAsync(MappingSnapshot mapping, long lastModifiedMs, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var update = connection.Command(
            "UPDATE grid_event_source_mappings SET function_name = @f, qualifier = @q, config = @c, state = @st, state_reason = @r, "
            + "last_modified = @lm WHERE uuid = @u",
            ("@f", mapping.FunctionName), ("@q", mapping.Qualifier), ("@c", Serialize(mapping.Settings)),
            ("@st", mapping.Enabled ? MappingRow.Enabled : MappingRow.Disabled), ("@r", MappingRow.UserAction), ("@lm", lastModifiedMs),
            ("@u", mapping.Uuid));
        return await update.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>Removes the mapping and its checkpoints; false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string uuid, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var deleted = await ExecuteAsync(connection, tx, "DELETE FROM grid_event_source_mappings WHERE uuid = @u", ct, ("@u", uuid));
        await ExecuteAsync(connection, tx, "DELETE FROM grid_esm_checkpoints WHERE mapping_uuid = @u", ct, ("@u", uuid));
        await tx.CommitAsync(ct);
        _lastResults.TryRemove(uuid, out _);
        return deleted > 0;
    }

    /// <summary>
    /// Removes the mappings of a function with their checkpoints: all qualifiers when the function was deleted, or those of
    /// one version or alias that was deleted.
    /// </summary>
    public async Task<int> DeleteForFunctionAsync(string accountId, string functionName, string? qualifier = null, CancellationToken ct = default)
    {
        var rows = await ListAsync(accountId, null, functionName, ct);
        var count = 0;
        foreach (var row in rows.Where(r => qualifier is null || r.Snapshot.Qualifier == qualifier))
        {
            if (await DeleteAsync(row.Snapshot.Uuid, ct)) count++;
        }
        return count;
    }

    /// <summary>
    /// Removes, with their checkpoints, every mapping whose stream no longer exists: after a DeleteStream, that stream's
    /// mappings (and any an interrupted earlier delete left). A mapping never moves to a re-created stream of the same
    /// name: it names its stream by id, and a new stream gets a new id and sequence numbers from 1.
    /// </summary>
    public async Task<int> DeleteOrphanedAsync(CancellationToken ct = default)
    {
        List<string> orphans = [];
        await using (var connection = await database.OpenAsync(ct))
        await using (var query = connection.Command(
            "SELECT m.uuid FROM grid_event_source_mappings m WHERE NOT EXISTS (SELECT 1 FROM grid_streams s WHERE s.id = m.stream_id)"))
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) orphans.Add(reader.GetString(0));
        }
        var count = 0;
        foreach (var uuid in orphans)
        {
            if (await DeleteAsync(uuid, ct)) count++;
        }
        return count;
    }

    /// <summary>
    /// Sets LastProcessingResult. Cheap to call per batch: the database is written only when the value differs from the
    /// last one this node wrote.
    /// </summary>
    public async Task RecordProcessingResultAsync(string uuid, string result, CancellationToken ct = default)
    {
        if (_lastResults.TryGetValue(uuid, out var last) && last == result) return;
        await using var connection = await database.OpenAsync(ct);
        await using var update = connection.Command(
            "UPDATE grid_event_source_mappings SET last_processing_result = @r WHERE uuid = @u AND last_processing_result <> @r",
            ("@r", result), ("@u", uuid));
        await update.ExecuteNonQueryAsync(ct);
        _lastResults[uuid] = result;
    }

    internal static string Serialize(MappingSettings settings) => JsonSerializer.Serialize(settings, MappingJson.Default.MappingSettings);

    internal static MappingSettings Deserialize(string json) =>
        JsonSerializer.Deserialize(json, MappingJson.Default.MappingSettings) ?? new MappingSettings();

    private async Task<IReadOnlyList<MappingSnapshot>> SnapshotsAsync(string sql, CancellationToken ct, params (string, object?)[] args) =>
        (await RowsAsync(sql, ct, args)).Select(r => r.Snapshot).ToList();

    private async Task<List<MappingRow>> RowsAsync(string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(sql, args);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<MappingRow>();
        while (await reader.ReadAsync(ct))
        {
            var state = reader.GetString(8);
            var snapshot = new MappingSnapshot(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), reader.GetString(5), Convert.ToInt32(reader.GetValue(6)),
                Deserialize(reader.GetString(7)), state == MappingRow.Enabled);
            rows.Add(new MappingRow(snapshot, state, reader.GetString(9), reader.GetString(10), Convert.ToInt64(reader.GetValue(11)),
                Convert.ToInt64(reader.GetValue(12))));
        }
        return rows;
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction tx, string sql, CancellationToken ct,
        params (string, object?)[] args)
    {
        await using var command = connection.Command(sql, args);
        command.Transaction = tx;
        return await command.ExecuteNonQueryAsync(ct);
    }
}
