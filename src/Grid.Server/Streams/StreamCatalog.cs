using System.Security.Cryptography;
using Grid.Server.Storage;

namespace Grid.Server.Streams;

/// <summary>Creates, lists, changes and deletes streams (grid_streams and their grid_stream_shards rows).</summary>
public sealed class StreamCatalog(Database database, TimeProvider time)
{
    /// <summary>A deleted stream's shards keep this head until the retention service has removed their records.</summary>
    internal const long DeletedHead = -1;

    /// <summary>Creates an ACTIVE stream with empty shards; null when the account already has a stream of that name.</summary>
    public async Task<StreamInfo?> CreateAsync(string accountId, string name, string arn, int shardCount, int retentionHours, CancellationToken ct = default)
    {
        var stream = new StreamInfo(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), accountId, name, arn, shardCount, retentionHours,
            "ACTIVE", time.GetUtcNow().ToUnixTimeMilliseconds());
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var insert = connection.Command(
            "INSERT INTO grid_streams (account_id, name, id, arn, shard_count, retention_hours, status, created) "
            + "VALUES (@a, @n, @id, @arn, @c, @r, @st, @cr) ON CONFLICT (account_id, name) DO NOTHING",
            ("@a", accountId), ("@n", name), ("@id", stream.Id), ("@arn", arn), ("@c", shardCount), ("@r", retentionHours),
            ("@st", stream.Status), ("@cr", stream.CreatedMs)))
        {
            insert.Transaction = transaction;
            if (await insert.ExecuteNonQueryAsync(ct) == 0) return null;
        }
        await using (var shard = connection.Command("INSERT INTO grid_stream_shards (stream_id, shard, head_seq) VALUES (@s, @sh, 0)",
            ("@s", stream.Id), ("@sh", 0)))
        {
            shard.Transaction = transaction;
            for (var i = 0; i < shardCount; i++)
            {
                shard.Parameters["@sh"].Value = i;
                await shard.ExecuteNonQueryAsync(ct);
            }
        }
        await transaction.CommitAsync(ct);
        return stream;
    }

    /// <summary>
    /// Removes the stream at once (its name is free again) and marks its shards deleted: writers stop, and the retention
    /// service removes the records in the background.
    /// </summary>
    public async Task DeleteAsync(StreamInfo stream, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var delete = connection.Command("DELETE FROM grid_streams WHERE id = @id", ("@id", stream.Id)))
        {
            delete.Transaction = transaction;
            await delete.ExecuteNonQueryAsync(ct);
        }
        await using (var mark = connection.Command("UPDATE grid_stream_shards SET head_seq = @d WHERE stream_id = @id",
            ("@id", stream.Id), ("@d", DeletedHead)))
        {
            mark.Transaction = transaction;
            await mark.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>The account's streams by name, starting after <paramref name="afterName"/>.</summary>
    public async Task<IReadOnlyList<StreamInfo>> ListAsync(string accountId, string? afterName, int limit, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command(StreamLog.SelectStreams("account_id = @a AND name > @after") + " ORDER BY name LIMIT @l",
            ("@a", accountId), ("@after", afterName ?? ""), ("@l", limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var streams = new List<StreamInfo>();
        while (await reader.ReadAsync(ct)) streams.Add(StreamLog.ReadStream(reader));
        return streams;
    }

    /// <summary>Every stream of every account (the retention service's work list).</summary>
    public async Task<IReadOnlyList<StreamInfo>> AllAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command(StreamLog.SelectStreams("1 = 1"));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var streams = new List<StreamInfo>();
        while (await reader.ReadAsync(ct)) streams.Add(StreamLog.ReadStream(reader));
        return streams;
    }

    public async Task SetRetentionAsync(string streamId, int hours, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command("UPDATE grid_streams SET retention_hours = @h WHERE id = @id", ("@h", hours), ("@id", streamId));
        await command.ExecuteNonQueryAsync(ct);
    }
}
