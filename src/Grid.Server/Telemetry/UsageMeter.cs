using System.Collections.Concurrent;
using Grid.Server.Storage;

namespace Grid.Server.Telemetry;

/// <summary>Usage of one function in one hour (or summed over a period).</summary>
public sealed record UsageRecord(string Account, string Function, long Hour, long Requests, long BilledMs, long MbMs)
{
    /// <summary>Billed duration × configured memory, in GB-seconds (Lambda's unit of price).</summary>
    public double GbSeconds => MbMs / 1024.0 / 1000.0;
}

/// <summary>
/// Pay-per-use metering: each invocation adds its billed milliseconds and milliseconds × memory to an in-memory
/// bucket (function, hour); every flush interval the node adds its buckets to <c>grid_usage</c> with one upsert per
/// bucket, so the invoke path never touches the database. A node killed with SIGKILL loses at most one interval.
/// </summary>
public sealed class UsageMeter(Database database, ILogger<UsageMeter> logger) : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(5);

    private sealed class Bucket
    {
        public long Requests;
        public long BilledMs;
        public long MbMs;
    }

    private ConcurrentDictionary<(string Account, string Function, long Hour), Bucket> _pending = new();

    public void Record(string account, string function, long billedMs, int memoryMb)
    {
        var hour = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 3600;
        var bucket = _pending.GetOrAdd((account, function, hour), _ => new Bucket());
        Interlocked.Increment(ref bucket.Requests);
        Interlocked.Add(ref bucket.BilledMs, billedMs);
        Interlocked.Add(ref bucket.MbMs, billedMs * memoryMb);
    }

    /// <summary>Writes what was recorded since the last flush.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var taken = Interlocked.Exchange(ref _pending, new());
        if (taken.IsEmpty) return;
        await Task.Delay(10, ct); // let Record calls that raced the swap finish on the old buckets
        try
        {
            await WriteAsync(taken, ct);
        }
        catch
        {
            // Keep the figures for the next flush rather than losing them.
            foreach (var (key, b) in taken)
            {
                var bucket = _pending.GetOrAdd(key, _ => new Bucket());
                Interlocked.Add(ref bucket.Requests, b.Requests);
                Interlocked.Add(ref bucket.BilledMs, b.BilledMs);
                Interlocked.Add(ref bucket.MbMs, b.MbMs);
            }
            throw;
        }
    }

    private async Task WriteAsync(ConcurrentDictionary<(string Account, string Function, long Hour), Bucket> taken, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var ((account, function, hour), b) in taken)
        {
            await using var upsert = connection.Command(
                """
                INSERT INTO grid_usage (account_id, name, hour, requests, billed_ms, mb_ms) VALUES (@a, @n, @h, @r, @b, @m)
                ON CONFLICT (account_id, name, hour) DO UPDATE SET requests = grid_usage.requests + excluded.requests,
                    billed_ms = grid_usage.billed_ms + excluded.billed_ms, mb_ms = grid_usage.mb_ms + excluded.mb_ms
                """, ("@a", account), ("@n", function), ("@h", hour), ("@r", b.Requests), ("@b", b.BilledMs), ("@m", b.MbMs));
            upsert.Transaction = tx;
            await upsert.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>Usage per function of an account for the hours in [from, to).</summary>
    public async Task<List<UsageRecord>> ReadAsync(string account, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        await FlushAsync(ct); // this node's latest figures count too
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(
            """
            SELECT name, SUM(requests), SUM(billed_ms), SUM(mb_ms) FROM grid_usage
            WHERE account_id = @a AND hour >= @from AND hour < @to GROUP BY name ORDER BY name
            """, ("@a", account), ("@from", from.ToUnixTimeSeconds() / 3600), ("@to", (to.ToUnixTimeSeconds() + 3599) / 3600));
        await using var reader = await query.ExecuteReaderAsync(ct);
        var result = new List<UsageRecord>();
        while (await reader.ReadAsync(ct))
        {
            result.Add(new UsageRecord(account, reader.GetString(0), 0, Convert.ToInt64(reader.GetValue(1)),
                Convert.ToInt64(reader.GetValue(2)), Convert.ToInt64(reader.GetValue(3))));
        }
        return result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await TryFlushAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await TryFlushAsync(CancellationToken.None);
    }

    private async Task TryFlushAsync(CancellationToken ct)
    {
        try
        {
            await FlushAsync(ct);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException)
        {
            logger.LogWarning(e, "Could not write usage; retrying at the next flush");
        }
    }
}
