using System.Data.Common;
using Grid.Server.Storage;

namespace Grid.Server.Streams;

/// <summary>
/// The durable record log of Grid streams over <see cref="Database"/>: finds streams, reads retained records and shard heads,
/// and appends through each shard's <see cref="IShardWriterGrain"/> (the only writer of a shard's sequence).
/// </summary>
public sealed class StreamLog(Database database, IGrainFactory grains, TimeProvider time)
{
    private const string StreamColumns = "id, account_id, name, arn, shard_count, retention_hours, status, created, stream_mode";

    public Database Database => database;

    public Task<StreamInfo?> FindByArnAsync(string arn, CancellationToken ct = default) =>
        FindOneAsync("arn = @v", arn, ct);

    public Task<StreamInfo?> FindByIdAsync(string streamId, CancellationToken ct = default) =>
        FindOneAsync("id = @v", streamId, ct);

    public async Task<StreamInfo?> FindByNameAsync(string accountId, string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command($"SELECT {StreamColumns} FROM grid_streams WHERE account_id = @a AND name = @n",
            ("@a", accountId), ("@n", name));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadStream(reader) : null;
    }

    private async Task<StreamInfo?> FindOneAsync(string where, string value, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command($"SELECT {StreamColumns} FROM grid_streams WHERE {where}", ("@v", value));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadStream(reader) : null;
    }

    internal static StreamInfo ReadStream(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Convert.ToInt32(r.GetValue(4)), Convert.ToInt32(r.GetValue(5)),
        r.GetString(6), Convert.ToInt64(r.GetValue(7)), r.GetString(8));

    internal static string SelectStreams(string where) => $"SELECT {StreamColumns} FROM grid_streams WHERE {where}";

    /// <summary>Up to <paramref name="max"/> retained records of a shard with seq greater than <paramref name="afterSeq"/>, in order.</summary>
    public async Task<IReadOnlyList<StreamRecord>> ReadAsync(string streamId, int shard, long afterSeq, int max, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command(
            "SELECT seq, partition_key, data, arrived FROM grid_stream_records WHERE stream_id = @s AND shard = @sh AND seq > @after "
            + "ORDER BY seq LIMIT @max", ("@s", streamId), ("@sh", shard), ("@after", afterSeq), ("@max", max));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var records = new List<StreamRecord>();
        while (await reader.ReadAsync(ct))
        {
            records.Add(new StreamRecord(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2), reader.GetInt64(3)));
        }
        return records;
    }

    /// <summary>The head (last assigned seq, 0 = empty) of every shard of the given streams, in one query; deleted streams are absent.</summary>
    public async Task<IReadOnlyDictionary<(string StreamId, int Shard), long>> HeadsAsync(IReadOnlyCollection<string> streamIds, CancellationToken ct = default)
    {
        var heads = new Dictionary<(string, int), long>();
        if (streamIds.Count == 0) return heads;
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        var names = new List<string>();
        var i = 0;
        foreach (var id in streamIds)
        {
            var name = $"@id{i++}";
            names.Add(name);
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = id;
            command.Parameters.Add(p);
        }
        command.CommandText = $"SELECT stream_id, shard, head_seq FROM grid_stream_shards WHERE head_seq >= 0 AND stream_id IN ({string.Join(", ", names)})";
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            heads[(reader.GetString(0), Convert.ToInt32(reader.GetValue(1)))] = reader.GetInt64(2);
        }
        return heads;
    }

    /// <summary>The shard's last assigned seq (0 = empty); throws <see cref="StreamGoneException"/> when the shard no longer exists.</summary>
    public async Task<long> HeadAsync(string streamId, int shard, CancellationToken ct = default) =>
        await TryHeadAsync(streamId, shard, ct) ?? throw new StreamGoneException(streamId);

    internal async Task<long?> TryHeadAsync(string streamId, int shard, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command("SELECT head_seq FROM grid_stream_shards WHERE stream_id = @s AND shard = @sh",
            ("@s", streamId), ("@sh", shard));
        return await command.ExecuteScalarAsync(ct) is { } value and not DBNull && Convert.ToInt64(value) is var head and >= 0 ? head : null;
    }

    /// <summary>(First retained seq that arrived at or after <paramref name="timestampMs"/>) - 1; the head when none did.</summary>
    public async Task<long> SeqBeforeTimestampAsync(string streamId, int shard, long timestampMs, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command(
            "SELECT MIN(seq) FROM grid_stream_records WHERE stream_id = @s AND shard = @sh AND arrived >= @ts",
            ("@s", streamId), ("@sh", shard), ("@ts", timestampMs));
        if (await command.ExecuteScalarAsync(ct) is { } value and not DBNull) return Convert.ToInt64(value) - 1;
        return await HeadAsync(streamId, shard, ct);
    }

    /// <summary>Appends one record to the shard its partition key (or explicit hash key) maps to; returns once it is durable.</summary>
    public async Task<AppendedRecord> AppendAsync(StreamInfo stream, string partitionKey, byte[] data, string? explicitHashKey = null,
        CancellationToken ct = default)
    {
        var shard = HashKeyRanges.ShardFor(partitionKey, explicitHashKey, stream.ShardCount);
        var block = Gone(await Writer(stream.Id, shard).Append([new PendingRecord(partitionKey, data)]).WaitAsync(ct), stream.Id);
        return new AppendedRecord(shard, block.FirstSeq, block.ArrivedMs);
    }

    /// <summary>
    /// Appends many records, each to its shard, the shards concurrently. A shard that fails fails only its own records
    /// (their outcome carries the error); the others are durable when this returns. Order is kept within each shard.
    /// </summary>
    public async Task<AppendOutcome[]> AppendManyAsync(StreamInfo stream, IReadOnlyList<(int Shard, PendingRecord Record)> records,
        CancellationToken ct = default)
    {
        var outcomes = new AppendOutcome[records.Count];
        var byShard = new Dictionary<int, List<int>>();
        for (var i = 0; i < records.Count; i++)
        {
            if (!byShard.TryGetValue(records[i].Shard, out var list)) byShard[records[i].Shard] = list = [];
            list.Add(i);
        }
        await Task.WhenAll(byShard.Select(async pair =>
        {
            var (shard, indexes) = (pair.Key, pair.Value);
            try
            {
                var block = Gone(await Writer(stream.Id, shard).Append(indexes.Select(i => records[i].Record).ToArray()).WaitAsync(ct), stream.Id);
                for (var j = 0; j < indexes.Count; j++)
                {
                    outcomes[indexes[j]] = new AppendOutcome(new AppendedRecord(shard, block.FirstSeq + j, block.ArrivedMs), null);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                foreach (var i in indexes) outcomes[i] = new AppendOutcome(null, e);
            }
        }));
        return outcomes;
    }

    private static AppendBlock Gone(AppendBlock block, string streamId) => block.FirstSeq > 0 ? block : throw new StreamGoneException(streamId);

    private IShardWriterGrain Writer(string streamId, int shard) => grains.GetGrain<IShardWriterGrain>(IShardWriterGrain.Key(streamId, shard));

    /// <summary>
    /// Writes a block of records at seq <paramref name="expectedHead"/>+1.. and moves the head, in one transaction.
    /// Returns false (nothing written) when the head is no longer <paramref name="expectedHead"/> or the rows exist: another
    /// activation of the writer got there first, or the stream was deleted.
    /// </summary>
    internal async Task<bool> WriteBlockAsync(string streamId, int shard, long expectedHead, IReadOnlyList<PendingRecord> records, long arrivedMs,
        CancellationToken ct = default)
    {
        return database.IsPostgres
            ? await WriteBlockPostgresAsync(streamId, shard, expectedHead, records, arrivedMs, ct)
            : await WriteBlockSqliteAsync(streamId, shard, expectedHead, records, arrivedMs, ct);
    }

    private async Task<bool> WriteBlockPostgresAsync(string streamId, int shard, long expectedHead, IReadOnlyList<PendingRecord> records, long arrivedMs,
        CancellationToken ct)
    {
        // One statement, one round trip, atomic: the head moves only if it was where this writer thinks, and the rows go in with it.
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command(
            "WITH moved AS (UPDATE grid_stream_shards SET head_seq = @new WHERE stream_id = @s AND shard = @sh AND head_seq = @old RETURNING 1) "
            + "INSERT INTO grid_stream_records (stream_id, shard, seq, partition_key, data, arrived) "
            + "SELECT @s, @sh, @old + t.ord, t.k, t.d, @a FROM unnest(@keys::text[], @data::bytea[]) WITH ORDINALITY AS t(k, d, ord) "
            + "WHERE EXISTS (SELECT 1 FROM moved)",
            ("@s", streamId), ("@sh", shard), ("@old", expectedHead), ("@new", expectedHead + records.Count), ("@a", arrivedMs),
            ("@keys", records.Select(r => r.PartitionKey).ToArray()), ("@data", records.Select(r => r.Data).ToArray()));
        try
        {
            return await command.ExecuteNonQueryAsync(ct) == records.Count;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
    }

    private async Task<bool> WriteBlockSqliteAsync(string streamId, int shard, long expectedHead, IReadOnlyList<PendingRecord> records, long arrivedMs,
        CancellationToken ct)
    {
        using var turn = await database.EnterWriteAsync(ct);
        try
        {
            await using var connection = await database.OpenAsync(ct);
            await using (var full = connection.Command("PRAGMA synchronous=FULL")) // an acknowledged record survives power loss, not only a crash
            {
                await full.ExecuteNonQueryAsync(ct);
            }
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var move = connection.Command(
                "UPDATE grid_stream_shards SET head_seq = @new WHERE stream_id = @s AND shard = @sh AND head_seq = @old",
                ("@s", streamId), ("@sh", shard), ("@old", expectedHead), ("@new", expectedHead + records.Count)))
            {
                move.Transaction = transaction;
                if (await move.ExecuteNonQueryAsync(ct) != 1) return false; // disposing the transaction rolls back
            }
            await using var insert = connection.Command(
                "INSERT INTO grid_stream_records (stream_id, shard, seq, partition_key, data, arrived) VALUES (@s, @sh, @q, @k, @d, @a)",
                ("@s", streamId), ("@sh", shard), ("@q", 0L), ("@k", ""), ("@d", Array.Empty<byte>()), ("@a", arrivedMs));
            insert.Transaction = transaction;
            var (seq, key, data) = (insert.Parameters["@q"], insert.Parameters["@k"], insert.Parameters["@d"]);
            for (var i = 0; i < records.Count; i++)
            {
                seq.Value = expectedHead + 1 + i;
                key.Value = records[i].PartitionKey;
                data.Value = records[i].Data;
                await insert.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
            return true;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: the rows exist
        {
            return false;
        }
    }

    /// <summary>Rows a retention delete removes per statement, so a big trim never holds the write lock for long.</summary>
    private const int TrimChunk = 20_000;

    /// <summary>Removes the stream's records that arrived before <paramref name="cutoffMs"/>; returns how many.</summary>
    public async Task<long> TrimAsync(StreamInfo stream, long cutoffMs, CancellationToken ct = default)
    {
        long removed = 0;
        for (var shard = 0; shard < stream.ShardCount; shard++)
        {
            removed += await DeleteChunkedAsync(stream.Id, shard, cutoffMs, ct);
        }
        return removed;
    }

    /// <summary>Removes every record of streams DeleteStream marked, then their shard rows; returns how many records.</summary>
    public async Task<long> PurgeDeletedAsync(CancellationToken ct = default)
    {
        var deleted = new List<(string StreamId, int Shard)>();
        await using (var connection = await database.OpenAsync(ct))
        await using (var command = connection.Command("SELECT stream_id, shard FROM grid_stream_shards WHERE head_seq < 0"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) deleted.Add((reader.GetString(0), Convert.ToInt32(reader.GetValue(1))));
        }
        long removed = 0;
        foreach (var (streamId, shard) in deleted)
        {
            removed += await DeleteChunkedAsync(streamId, shard, long.MaxValue, ct);
            await WriteAsync(async connection =>
            {
                await using var drop = connection.Command("DELETE FROM grid_stream_shards WHERE stream_id = @s AND shard = @sh AND head_seq < 0",
                    ("@s", streamId), ("@sh", shard));
                return await drop.ExecuteNonQueryAsync(ct);
            }, ct);
        }
        return removed;
    }

    private async Task<long> DeleteChunkedAsync(string streamId, int shard, long cutoffMs, CancellationToken ct)
    {
        long removed = 0;
        while (true)
        {
            var n = await WriteAsync(async connection =>
            {
                await using var delete = connection.Command(
                    "DELETE FROM grid_stream_records WHERE stream_id = @s AND shard = @sh "
                    + "AND seq <= (SELECT MIN(seq) FROM grid_stream_records WHERE stream_id = @s AND shard = @sh) + @chunk AND arrived < @cutoff",
                    ("@s", streamId), ("@sh", shard), ("@chunk", TrimChunk), ("@cutoff", cutoffMs));
                return await delete.ExecuteNonQueryAsync(ct);
            }, ct);
            removed += n;
            if (n == 0) return removed;
        }
    }

    /// <summary>Runs a write outside the shard writers, queued behind stream commits in embedded mode.</summary>
    private async Task<int> WriteAsync(Func<DbConnection, Task<int>> write, CancellationToken ct)
    {
        using var turn = await database.EnterWriteAsync(ct);
        await using var connection = await database.OpenAsync(ct);
        return await write(connection);
    }

    internal long NowMs() => time.GetUtcNow().ToUnixTimeMilliseconds();
}

/// <summary>What happened to one record of <see cref="StreamLog.AppendManyAsync"/>: where it landed, or why it was not written.</summary>
public sealed record AppendOutcome(AppendedRecord? Appended, Exception? Error);

/// <summary>The stream (or its shard) was deleted while a caller was using it.</summary>
public sealed class StreamGoneException(string streamId) : Exception($"Stream {streamId} was deleted; create it again and retry.")
{
    public string StreamId { get; } = streamId;
}
