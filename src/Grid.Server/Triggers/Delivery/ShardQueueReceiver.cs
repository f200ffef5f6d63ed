using Grid.Server.Streams;
using Grid.Server.Triggers.Mappings;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// Reads one queue of the "grid-shards" provider: the mapping shards that hash to this queue. It keeps a read position per
/// mapping shard (starting at the checkpoint), asks for all shard heads once per poll (one query per node: <see cref="ShardHeadsCache"/>), and turns new records
/// into batches: BatchSize × ParallelizationFactor records at most, sent when that many are there or when the mapping's
/// batching window has passed since new records were first seen. At most <see cref="DeliveryOptions.ReadAheadBatches"/>
/// batches per mapping shard are out at a time, so a slow shard neither reads ahead nor holds memory.
/// </summary>
internal sealed class ShardQueueReceiver(
    QueueId queueId,
    IStreamQueueMapper mapper,
    MappingStore mappings,
    StreamLog log,
    ShardHeadsCache heads,
    CheckpointStore checkpoints,
    DeliveryOptions options,
    TimeProvider time,
    ILogger logger) : IQueueAdapterReceiver
{
    private readonly Dictionary<StreamId, ShardPosition> _shards = [];
    private readonly Dictionary<string, MappingSnapshot> _mappings = [];
    private long _nextToken;
    private DateTimeOffset _mappingsReadAt = DateTimeOffset.MinValue;
    private DateTimeOffset _checkpointsReadAt = DateTimeOffset.MinValue;

    /// <summary>Where this queue is in one mapping shard.</summary>
    private sealed class ShardPosition(MappingSnapshot mapping, int shard, long position)
    {
        public MappingSnapshot Mapping { get; set; } = mapping;
        public int Shard { get; } = shard;
        public long Position { get; set; } = position;          // last seq sent
        public int Outstanding { get; set; }                      // batches sent and not yet taken by the consumer
        public DateTimeOffset? PendingSince { get; set; }         // when records past Position were first seen
        public DateTimeOffset LastSent { get; set; }
    }

    public Task Initialize(TimeSpan timeout) => Task.CompletedTask;

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now - _mappingsReadAt >= options.MappingRefresh) await RefreshMappingsAsync(now, cancellationToken);
        if (_shards.Count == 0) return [];

        var known = await heads.GetAsync(_mappings.Values.Select(m => m.StreamId).Distinct().ToList(), options.PollPeriod, cancellationToken);
        var batches = new List<IBatchContainer>();
        var limit = maxCount < 0 ? int.MaxValue : maxCount;
        foreach (var (streamId, shard) in _shards)
        {
            if (batches.Count >= limit) break;
            var head = known.GetValueOrDefault((shard.Mapping.StreamId, shard.Shard));
            if (head <= shard.Position)
            {
                shard.PendingSince = null;
                continue;
            }
            shard.PendingSince ??= now;
            if (shard.Outstanding >= options.ReadAheadBatches) continue;
            var settings = shard.Mapping.Settings;
            var max = MaxRecords(shard.Mapping);
            var window = TimeSpan.FromSeconds(settings.MaximumBatchingWindowInSeconds);
            if (head - shard.Position < max && now - shard.PendingSince < window) continue;

            var records = await log.ReadAsync(shard.Mapping.StreamId, shard.Shard, shard.Position, max, cancellationToken);
            if (records.Count == 0)
            {
                // Retention trimmed everything up to the head: nothing left to send.
                shard.Position = head;
                shard.PendingSince = null;
                continue;
            }
            shard.Position = records[^1].Seq;
            shard.PendingSince = head > shard.Position ? now : null;
            batches.Add(Send(streamId, shard, [.. records], now));
        }

        if (now - _checkpointsReadAt >= options.HeartbeatAfter) await AddHeartbeatsAsync(batches, now, cancellationToken);
        return batches;
    }

    /// <summary>Records per container, however large BatchSize × ParallelizationFactor is: bounds a queue's memory.</summary>
    internal const int MaxContainerRecords = 10_000;

    /// <summary>A container holds what one invocation per lane can take: BatchSize records per lane (at most 10,000 in all).</summary>
    internal static int MaxRecords(MappingSnapshot mapping) =>
        (int)Math.Min(MaxContainerRecords, (long)Math.Max(1, mapping.Settings.BatchSize) * Math.Max(1, mapping.Settings.ParallelizationFactor));

    private ShardBatchContainer Send(StreamId streamId, ShardPosition shard, StreamRecord[] records, DateTimeOffset now)
    {
        shard.Outstanding++;
        shard.LastSent = now;
        return new ShardBatchContainer(streamId, new EventSequenceTokenV2(++_nextToken),
            new ShardBatch(shard.Mapping.Uuid, shard.Shard, records, shard.Position));
    }

    /// <summary>
    /// A consumer whose activation died after taking batches lost them; later batches make it read the gap from the log, but
    /// the tail of a shard that went quiet would wait forever. So a quiet shard whose checkpoint lags what was sent gets an
    /// empty batch naming the last seq sent.
    /// </summary>
    private async Task AddHeartbeatsAsync(List<IBatchContainer> batches, DateTimeOffset now, CancellationToken ct)
    {
        _checkpointsReadAt = now;
        var quiet = _shards.Where(s => s.Value.Outstanding == 0 && now - s.Value.LastSent >= options.HeartbeatAfter && s.Value.Position > 0).ToList();
        if (quiet.Count == 0) return;
        var done = await checkpoints.GetManyAsync(quiet.Select(s => s.Value.Mapping.Uuid).Distinct().ToList(), ct);
        foreach (var (streamId, shard) in quiet)
        {
            if (done.GetValueOrDefault((shard.Mapping.Uuid, shard.Shard)) < shard.Position) batches.Add(Send(streamId, shard, [], now));
        }
    }

    private async Task RefreshMappingsAsync(DateTimeOffset now, CancellationToken ct)
    {
        _mappingsReadAt = now;
        IReadOnlyList<MappingSnapshot> enabled;
        try
        {
            enabled = await mappings.ListEnabledAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Queue {Queue}: could not read the event source mappings; keeping the last known set", queueId);
            return;
        }

        _mappings.Clear();
        var mine = new Dictionary<StreamId, (MappingSnapshot Mapping, int Shard)>();
        foreach (var mapping in enabled)
        {
            for (var shard = 0; shard < mapping.ShardCount; shard++)
            {
                var streamId = ShardStreams.Id(mapping.Uuid, shard);
                if (!mapper.GetQueueForStream(streamId).Equals(queueId)) continue;
                mine[streamId] = (mapping, shard);
                _mappings[mapping.Uuid] = mapping;
            }
        }
        foreach (var gone in _shards.Keys.Where(k => !mine.ContainsKey(k)).ToList()) _shards.Remove(gone);

        var added = mine.Where(m => !_shards.ContainsKey(m.Key)).ToList();
        foreach (var (streamId, (mapping, _)) in mine)
        {
            if (_shards.TryGetValue(streamId, out var known)) known.Mapping = mapping;
        }
        if (added.Count == 0) return;
        // New here (a new mapping, a re-enabled one, or this queue moved to this node): start where processing finished.
        var start = await checkpoints.GetManyAsync(added.Select(a => a.Value.Mapping.Uuid).Distinct().ToList(), ct);
        foreach (var (streamId, (mapping, shard)) in added)
        {
            _shards[streamId] = new ShardPosition(mapping, shard, start.GetValueOrDefault((mapping.Uuid, shard))) { LastSent = now };
        }
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            if (_shards.TryGetValue(message.StreamId, out var shard) && shard.Outstanding > 0) shard.Outstanding--;
        }
        return Task.CompletedTask;
    }

    public Task Shutdown(TimeSpan timeout)
    {
        _shards.Clear();
        _mappings.Clear();
        return Task.CompletedTask;
    }
}
