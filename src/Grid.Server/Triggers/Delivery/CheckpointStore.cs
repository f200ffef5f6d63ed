using Grid.Server.Storage;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// <c>grid_esm_checkpoints</c>: per mapping and shard, the highest seq whose processing is finished. The mapping API writes
/// the starting position at creation; the consumer advances it after each batch. It never moves back, so a late write from
/// an activation that lost a race cannot undo progress.
/// </summary>
public sealed class CheckpointStore(Database database, TimeProvider time)
{
    /// <summary>The checkpoint of one mapping shard; 0 (the whole retained shard) when none was written.</summary>
    public async Task<long> GetAsync(string mappingUuid, int shard, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command("SELECT seq FROM grid_esm_checkpoints WHERE mapping_uuid = @m AND shard = @s",
            ("@m", mappingUuid), ("@s", shard));
        return await command.ExecuteScalarAsync(ct) is { } value and not DBNull ? Convert.ToInt64(value) : 0;
    }

    /// <summary>Every checkpoint of the given mappings, in one query.</summary>
    public async Task<IReadOnlyDictionary<(string MappingUuid, int Shard), long>> GetManyAsync(IReadOnlyCollection<string> mappingUuids,
        CancellationToken ct = default)
    {
        var result = new Dictionary<(string, int), long>();
        if (mappingUuids.Count == 0) return result;
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        var names = new List<string>(mappingUuids.Count);
        foreach (var uuid in mappingUuids)
        {
            var p = command.CreateParameter();
            p.ParameterName = $"@m{names.Count}";
            p.Value = uuid;
            command.Parameters.Add(p);
            names.Add(p.ParameterName);
        }
        command.CommandText = $"SELECT mapping_uuid, shard, seq FROM grid_esm_checkpoints WHERE mapping_uuid IN ({string.Join(", ", names)})";
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result[(reader.GetString(0), Convert.ToInt32(reader.GetValue(1)))] = reader.GetInt64(2);
        return result;
    }

    /// <summary>Moves the checkpoint forward to <paramref name="seq"/> (never back).</summary>
    public async Task AdvanceAsync(string mappingUuid, int shard, long seq, CancellationToken ct = default)
    {
        using var turn = await database.EnterWriteAsync(ct);
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command(
            "INSERT INTO grid_esm_checkpoints (mapping_uuid, shard, seq, updated) VALUES (@m, @s, @q, @u) "
            + "ON CONFLICT (mapping_uuid, shard) DO UPDATE SET seq = excluded.seq, updated = excluded.updated WHERE grid_esm_checkpoints.seq < excluded.seq",
            ("@m", mappingUuid), ("@s", shard), ("@q", seq), ("@u", time.GetUtcNow().ToUnixTimeMilliseconds()));
        await command.ExecuteNonQueryAsync(ct);
    }
}
