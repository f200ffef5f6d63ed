using Grid.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Grid.Server.Streams;

/// <summary>
/// About once a minute: removes records older than each stream's retention, and every record of deleted streams
/// (whose shards DeleteStream marked). Every node runs it; the deletes are idempotent.
/// </summary>
public sealed class StreamRetentionService(StreamCatalog catalog, StreamLog log, IOptions<GridOptions> options, TimeProvider time,
    ILogger<StreamRetentionService> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Runs a sweep shortly instead of at the next interval (after a DeleteStream).</summary>
    public void SweepSoon()
    {
        if (_wake.CurrentCount == 0)
        {
            try { _wake.Release(); } catch (SemaphoreFullException) { } // already woken
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Stream retention sweep failed; retrying at the next interval");
            }
            try
            {
                await _wake.WaitAsync(options.Value.StreamRetentionSweepInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        long trimmed = 0;
        foreach (var stream in await catalog.AllAsync(ct))
        {
            trimmed += await log.TrimAsync(stream, now - stream.RetentionHours * 3_600_000L, ct);
        }
        var purged = await log.PurgeDeletedAsync(ct);
        if (trimmed + purged > 0) logger.LogInformation("Stream retention removed {Trimmed} expired and {Purged} deleted-stream records", trimmed, purged);
    }
}
