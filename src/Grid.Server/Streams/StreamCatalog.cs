using System.Data.Common;
using System.Security.Cryptography;
using Grid.Server.Storage;

namespace Grid.Server.Streams;

/// <summary>Creates, lists, changes and deletes streams (grid_streams with their grid_stream_shards and grid_stream_tags rows).</summary>
public sealed class StreamCatalog(Database database, TimeProvider time)
{
    /// <summary>A deleted stream's shards keep this head until the retention service has removed their records.</summary>
    internal const long DeletedHead = -1;

    /// <summary>Creates an ACTIVE stream with empty shards and its tags; null when the account already has a stream of that name.</summary>
    public async Task<StreamInfo?> CreateAsync(string accountId, string name, string arn, int shardCount, int retentionHours, string mode,
        IReadOnlyDictionary<string, string>? tags = null, CancellationToken ct = default)
    {
        var stream = new StreamInfo(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), accountId, name, arn, shardCount, retentionHours,
            "ACTIVE", time.GetUtcNow().ToUnixTimeMilliseconds(), mode);
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var insert = connection.Command(
            "INSERT INTO grid_streams (account_id, name, id, arn, shard_count, retention_hours, status, created, stream_mode) "
            + "VALUES (@a, @n, @id, @arn, @c, @r, @st, @cr, @m) ON CONFLICT (account_id, name) DO NOTHING",
            ("@a", accountId), ("@n", name), ("@id", stream.Id), ("@arn", arn), ("@c", shardCount), ("@r", retentionHours),
            ("@st", stream.Status), ("@cr", stream.CreatedMs), ("@m", mode)))
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
        if (tags is not null) await UpsertTagsAsync(connection, transaction, stream.Id, tags, ct);
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
        await using (var untag = connection.Command("DELETE FROM grid_stream_tags WHERE stream_id = @id", ("@id", stream.Id)))
        {
            untag.Transaction = transaction;
            await untag.ExecuteNonQueryAsync(ct);
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

    public async Task SetModeAsync(string streamId, string mode, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command("UPDATE grid_streams SET stream_mode = @m WHERE id = @id", ("@m", mode), ("@id", streamId));
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The stream's tags by key, starting after <paramref name="afterKey"/>.</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> TagsAsync(string streamId, string? afterKey, int limit, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = connection.Command(
            "SELECT tag_key, tag_value FROM grid_stream_tags WHERE stream_id = @s AND tag_key > @after ORDER BY tag_key LIMIT @l",
            ("@s", streamId), ("@after", afterKey ?? ""), ("@l", limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var tags = new List<KeyValuePair<string, string>>();
        while (await reader.ReadAsync(ct)) tags.Add(new(reader.GetString(0), reader.GetString(1)));
        return tags;
    }

    /// <summary>
    /// Adds or overwrites tags unless the stream would then have more than <paramref name="maxTags"/>. Returns how many
    /// tags the stream has (or would have: nothing is written when that is over the limit); null when the stream is gone.
    /// </summary>
    public async Task<int?> AddTagsAsync(string streamId, IReadOnlyDictionary<string, string> tags, int maxTags, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Lock the stream row first: concurrent adds count one after the other, and a stream deleted meanwhile gets no tags.
        await using (var lockRow = connection.Command("UPDATE grid_streams SET stream_mode = stream_mode WHERE id = @id", ("@id", streamId)))
        {
            lockRow.Transaction = transaction;
            if (await lockRow.ExecuteNonQueryAsync(ct) == 0) return null;
        }
        var keys = new HashSet<string>(tags.Keys, StringComparer.Ordinal);
        await using (var existing = connection.Command("SELECT tag_key FROM grid_stream_tags WHERE stream_id = @s", ("@s", streamId)))
        {
            existing.Transaction = transaction;
            await using var reader = await existing.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) keys.Add(reader.GetString(0));
        }
        if (keys.Count > maxTags) return keys.Count; // disposing the transaction rolls back
        await UpsertTagsAsync(connection, transaction, streamId, tags, ct);
        await transaction.CommitAsync(ct);
        return keys.Count;
    }

    /// <summary>Removes the tags with these keys; keys the stream does not have are ignored, as Kinesis does.</summary>
    public async Task RemoveTagsAsync(string streamId, IReadOnlyList<string> keys, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var delete = connection.Command("DELETE FROM grid_stream_tags WHERE stream_id = @s AND tag_key = @k", ("@s", streamId), ("@k", ""));
        delete.Transaction = transaction;
        foreach (var key in keys)
        {
            delete.Parameters["@k"].Value = key;
            await delete.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    private static async Task UpsertTagsAsync(DbConnection connection, DbTransaction transaction, string streamId,
        IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        await using var upsert = connection.Command(
            "INSERT INTO grid_stream_tags (stream_id, tag_key, tag_value) VALUES (@s, @k, @v) "
            + "ON CONFLICT (stream_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
            ("@s", streamId), ("@k", ""), ("@v", ""));
        upsert.Transaction = transaction;
        foreach (var (key, value) in tags)
        {
            upsert.Parameters["@k"].Value = key;
            upsert.Parameters["@v"].Value = value;
            await upsert.ExecuteNonQueryAsync(ct);
        }
    }
}
