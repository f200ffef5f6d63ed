using System.Data.Common;
using Grid.Server.Storage;

namespace Grid.Server.Async;

/// <summary>One queued asynchronous invocation as a node claimed it.</summary>
public sealed record AsyncEvent(
    string Id,
    string AccountId,
    string Name,
    string? Qualifier,
    byte[] Payload,
    string? ClientContext,
    int Attempts,
    int Throttles,
    long Created);

/// <summary>An event to add to the queue (an Event invoke, or a destination's record).</summary>
public sealed record NewAsyncEvent(string Id, string AccountId, string Name, string? Qualifier, byte[] Payload, string? ClientContext = null);

/// <summary>
/// The durable queue of asynchronous invocations, table <c>grid_async_events</c>. Enqueueing is one INSERT (the
/// 202 is answered after it commits). A node claims due events with a lease (owner + expiry); every later change is
/// made only while the lease is still this node's, so a node that lost its lease (it was too slow, or another node
/// took over after a kill) cannot delete or reschedule another node's claim: the worst outcome is a second run,
/// which Lambda's at-least-once contract allows.
/// </summary>
public sealed class AsyncEventQueue(Database database, TimeProvider time)
{
    private const string Returned = "id, account_id, name, qualifier, payload, client_context, attempts, throttles, created";
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Lambda's limit on an Event invoke's payload (1 MB since October 2025).</summary>
    public const int MaxPayloadBytes = 1_048_576;

    /// <summary>Lambda's 413 for an Event payload over <see cref="MaxPayloadBytes"/>.</summary>
    public static void CheckPayloadSize(int length)
    {
        if (length > MaxPayloadBytes)
        {
            throw Api.Errors.RequestTooLarge($"{length} byte payload is too large for the Event invocation type (limit {MaxPayloadBytes} bytes)");
        }
    }

    /// <summary>Released when this node enqueues an event, so its dispatcher need not wait for the next poll.</summary>
    public SemaphoreSlim Signal => _signal;

    public long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Stores an event, due at once; returns when it is durable.</summary>
    public async Task EnqueueAsync(NewAsyncEvent e, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using (var insert = Insert(connection, e, Now)) await insert.ExecuteNonQueryAsync(ct);
        Wake();
    }

    public void Wake()
    {
        if (_signal.CurrentCount > 0) return;
        try { _signal.Release(); }
        catch (SemaphoreFullException) { }
    }

    /// <summary>Claims up to <paramref name="max"/> due, unleased events for <paramref name="owner"/> until <paramref name="leaseUntil"/>.</summary>
    public async Task<List<AsyncEvent>> ClaimAsync(string owner, int max, long leaseUntil, CancellationToken ct = default)
    {
        var sql = database.IsPostgres
            ? $"""
               UPDATE grid_async_events SET lease_owner = @o, lease_until = @u
               WHERE id IN (SELECT id FROM grid_async_events WHERE due <= @now AND lease_until <= @now
                            ORDER BY due LIMIT @n FOR UPDATE SKIP LOCKED)
               RETURNING {Returned}
               """
            // Embedded mode is one node, and its dispatcher claims from one loop: one statement is atomic enough.
            : $"""
               UPDATE grid_async_events SET lease_owner = @o, lease_until = @u
               WHERE id IN (SELECT id FROM grid_async_events WHERE due <= @now AND lease_until <= @now ORDER BY due LIMIT @n)
               RETURNING {Returned}
               """;
        await using var connection = await database.OpenAsync(ct);
        await using var claim = connection.Command(sql, ("@o", owner), ("@u", leaseUntil), ("@now", Now), ("@n", max));
        await using var reader = await claim.ExecuteReaderAsync(ct);
        var events = new List<AsyncEvent>();
        while (await reader.ReadAsync(ct))
        {
            events.Add(new AsyncEvent(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), (byte[])reader.GetValue(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), Convert.ToInt32(reader.GetValue(6)),
                Convert.ToInt32(reader.GetValue(7)), Convert.ToInt64(reader.GetValue(8))));
        }
        return events;
    }

    /// <summary>Extends every lease <paramref name="owner"/> holds (the events it is running).</summary>
    public async Task RenewAsync(string owner, long leaseUntil, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var renew = connection.Command("UPDATE grid_async_events SET lease_until = @u WHERE lease_owner = @o",
            ("@u", leaseUntil), ("@o", owner));
        await renew.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The event is done: deletes it and, in the same transaction, queues its follow-ups (destination records, the
    /// dead-letter copy). False when the lease was no longer ours (nothing changed; the new owner runs it again).
    /// </summary>
    public async Task<bool> CompleteAsync(AsyncEvent e, string owner, IReadOnlyList<NewAsyncEvent> followUps, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var delete = connection.Command("DELETE FROM grid_async_events WHERE id = @id AND lease_owner = @o",
                         ("@id", e.Id), ("@o", owner)))
        {
            delete.Transaction = tx;
            if (await delete.ExecuteNonQueryAsync(ct) == 0)
            {
                await tx.RollbackAsync(ct);
                return false;
            }
        }
        var now = Now;
        foreach (var next in followUps)
        {
            await using var insert = Insert(connection, next, now);
            insert.Transaction = tx;
            await insert.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        if (followUps.Count > 0) Wake();
        return true;
    }

    /// <summary>Gives the event back, due at <paramref name="due"/>, with its new counters.</summary>
    public async Task RescheduleAsync(AsyncEvent e, string owner, long due, int attempts, int throttles, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var update = connection.Command(
            """
            UPDATE grid_async_events SET due = @d, attempts = @a, throttles = @t, lease_owner = NULL, lease_until = 0
            WHERE id = @id AND lease_owner = @o
            """, ("@d", due), ("@a", attempts), ("@t", throttles), ("@id", e.Id), ("@o", owner));
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Releases every lease of <paramref name="owner"/> (a node shutting down), so other nodes take the events at once.</summary>
    public async Task ReleaseAllAsync(string owner, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var release = connection.Command(
            "UPDATE grid_async_events SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = @o", ("@o", owner));
        await release.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Events waiting or running, cluster-wide.</summary>
    public async Task<long> CountAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var count = connection.Command("SELECT count(*) FROM grid_async_events");
        return Convert.ToInt64(await count.ExecuteScalarAsync(ct));
    }

    private static DbCommand Insert(DbConnection connection, NewAsyncEvent e, long now) => connection.Command(
        """
        INSERT INTO grid_async_events (id, account_id, name, qualifier, payload, client_context, attempts, throttles, created, due, lease_until)
        VALUES (@id, @a, @n, @q, @p, @c, 0, 0, @t, @t, 0)
        """, ("@id", e.Id), ("@a", e.AccountId), ("@n", e.Name), ("@q", e.Qualifier), ("@p", e.Payload), ("@c", e.ClientContext), ("@t", now));
}
