using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Grid.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Grid.Server.Telemetry;

/// <summary>One invocation's log block (START .. REPORT) as stored and served.</summary>
public sealed record LogEvent(
    [property: JsonPropertyName("timestamp")] long Timestamp,
    [property: JsonPropertyName("requestId")] string RequestId,
    [property: JsonPropertyName("message")] string Message);

[JsonSerializable(typeof(LogEvent))]
[JsonSerializable(typeof(LogEventsResponse))]
public sealed partial class LogJsonContext : JsonSerializerContext;

public sealed record LogEventsResponse([property: JsonPropertyName("events")] List<LogEvent> Events);

/// <summary>
/// Invocation logs kept on the node that ran them: JSON lines per function and day under the data directory,
/// written by a background writer so the invoke path never waits for a disk. Old days are deleted after the
/// retention period.
/// </summary>
public sealed class InvocationLogStore : BackgroundService
{
    private readonly Channel<(string Account, string Function, LogEvent Event)> _queue =
        Channel.CreateBounded<(string, string, LogEvent)>(new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly string _root;
    private readonly int _retentionDays;
    private readonly TimeProvider _time;

    public InvocationLogStore(IOptions<GridOptions> options, TimeProvider time)
    {
        _root = Path.Combine(options.Value.FullDataDirectory, "logs");
        _retentionDays = options.Value.LogRetentionDays;
        _time = time;
    }

    private readonly ConcurrentDictionary<string, ImmutableList<Channel<LogEvent>>> _followers = new(StringComparer.Ordinal);

    public void Append(string account, string function, string requestId, string message)
    {
        var e = new LogEvent(_time.GetUtcNow().ToUnixTimeMilliseconds(), requestId, message);
        _queue.Writer.TryWrite((account, function, e));
        if (!_followers.IsEmpty && _followers.TryGetValue(account + "/" + function, out var followers))
        {
            foreach (var follower in followers) follower.Writer.TryWrite(e);
        }
    }

    /// <summary>New events of a function as they are appended on this node, until <paramref name="ct"/> ends.</summary>
    public async IAsyncEnumerable<LogEvent> FollowAsync(string account, string function, [EnumeratorCancellation] CancellationToken ct)
    {
        var key = account + "/" + function;
        var channel = Channel.CreateBounded<LogEvent>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        _followers.AddOrUpdate(key, _ => [channel], (_, list) => list.Add(channel));
        try
        {
            while (true)
            {
                LogEvent e;
                try
                {
                    e = await channel.Reader.ReadAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                yield return e;
            }
        }
        finally
        {
            _followers.AddOrUpdate(key, _ => [], (_, list) => list.Remove(channel));
            if (_followers.TryGetValue(key, out var left) && left.IsEmpty) _followers.TryRemove(new KeyValuePair<string, ImmutableList<Channel<LogEvent>>>(key, left));
        }
    }

    /// <summary>Newest-last events of a function, optionally for one request id or since a time (epoch ms).</summary>
    public async Task<List<LogEvent>> ReadAsync(string account, string function, string? requestId, long? since, int limit, CancellationToken ct)
    {
        var dir = Path.Combine(_root, account, function);
        if (!Directory.Exists(dir)) return [];
        var result = new List<LogEvent>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.jsonl").Order(StringComparer.Ordinal).Reverse())
        {
            var day = new List<LogEvent>();
            await foreach (var line in File.ReadLinesAsync(file, ct))
            {
                if (line.Length == 0) continue;
                LogEvent? e;
                try { e = JsonSerializer.Deserialize(line, LogJsonContext.Default.LogEvent); }
                catch (JsonException) { continue; } // a line cut by a crash
                if (e is null || (requestId is not null && e.RequestId != requestId) || (since is not null && e.Timestamp < since)) continue;
                day.Add(e);
            }
            result.InsertRange(0, day);
            if (result.Count >= limit) break;
        }
        return result.Count > limit ? result[^limit..] : result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DeleteExpired();
        var lastSweep = _time.GetUtcNow();
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                await WriteQueuedAsync(reader);
                if (_time.GetUtcNow() - lastSweep > TimeSpan.FromHours(1))
                {
                    DeleteExpired();
                    lastSweep = _time.GetUtcNow();
                }
                // Batch: under load one wake-up and one file append per interval, not one per invocation.
                await Task.Delay(BatchInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        await WriteQueuedAsync(reader); // what arrived before shutdown
    }

    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(100);

    private async Task WriteQueuedAsync(ChannelReader<(string Account, string Function, LogEvent Event)> reader)
    {
        var batches = new Dictionary<string, List<LogEvent>>();
        while (reader.TryRead(out var item))
        {
            var path = Path.Combine(_root, item.Account, item.Function,
                DateTimeOffset.FromUnixTimeMilliseconds(item.Event.Timestamp).UtcDateTime.ToString("yyyy-MM-dd") + ".jsonl");
            if (!batches.TryGetValue(path, out var list)) batches[path] = list = [];
            list.Add(item.Event);
        }
        foreach (var (path, events) in batches)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 65536);
            foreach (var e in events)
            {
                await JsonSerializer.SerializeAsync(file, e, LogJsonContext.Default.LogEvent, CancellationToken.None);
                file.WriteByte((byte)'\n');
            }
        }
    }

    private void DeleteExpired()
    {
        if (!Directory.Exists(_root)) return;
        var cutoff = _time.GetUtcNow().UtcDateTime.AddDays(-_retentionDays).ToString("yyyy-MM-dd");
        foreach (var file in Directory.EnumerateFiles(_root, "*.jsonl", SearchOption.AllDirectories))
        {
            if (string.CompareOrdinal(Path.GetFileNameWithoutExtension(file), cutoff) < 0) File.Delete(file);
        }
    }
}
