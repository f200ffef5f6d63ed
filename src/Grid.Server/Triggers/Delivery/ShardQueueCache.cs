using System.Diagnostics.CodeAnalysis;
using Orleans.Streams;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// The pulling agent's cache for one queue: each stream's batches in order, each let go (reported delivered to the receiver)
/// as soon as the consumer's cursor moves past it. Orleans' SimpleQueueCache purges in buckets shared by all streams, so
/// one slow shard would hold back the delivered-signal of every other shard; the receiver's per-shard read-ahead window
/// needs it per batch. Never a cache miss: nothing is rewound here, the log is the source of truth.
/// </summary>
internal sealed class ShardQueueCache(int capacity) : IQueueCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<StreamId, List<IBatchContainer>> _streams = [];
    private List<IBatchContainer> _released = [];
    private int _count;

    public int GetMaxAddCount()
    {
        lock (_lock) return Math.Max(0, capacity - _count);
    }

    public bool IsUnderPressure()
    {
        lock (_lock) return _count >= capacity;
    }

    public void AddToCache(IList<IBatchContainer> messages)
    {
        lock (_lock)
        {
            foreach (var message in messages)
            {
                if (!_streams.TryGetValue(message.StreamId, out var list)) _streams[message.StreamId] = list = [];
                list.Add(message);
                _count++;
            }
        }
    }

    public bool TryPurgeFromCache([MaybeNullWhen(false)] out IList<IBatchContainer> purgedItems)
    {
        lock (_lock)
        {
            if (_released.Count == 0)
            {
                purgedItems = null;
                return false;
            }
            purgedItems = _released;
            _released = [];
            return true;
        }
    }

    [Obsolete("Use TryGetCacheCursor instead.")]
    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token) => NewCursor(streamId, token);

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursor(StreamId streamId, StreamSequenceToken? token) =>
        QueueCacheCursorResult<IQueueCacheCursor>.FromCursor(NewCursor(streamId, token));

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursorAtPosition(StreamId streamId, StreamSubscriptionStartPosition startPosition) =>
        QueueCacheCursorResult<IQueueCacheCursor>.FromCursor(NewCursor(streamId, null));

    private Cursor NewCursor(StreamId streamId, StreamSequenceToken? from)
    {
        // Batches older than where a new cursor starts will never be delivered by it: let them go, or they'd hold the window.
        if (from is not null) Release(streamId, from, inclusive: false);
        return new Cursor(this, streamId, from);
    }

    /// <summary>The first batch of the stream after <paramref name="after"/> (or at/after <paramref name="from"/>), if any.</summary>
    private IBatchContainer? Next(StreamId streamId, StreamSequenceToken? after, StreamSequenceToken? from)
    {
        lock (_lock)
        {
            if (!_streams.TryGetValue(streamId, out var list)) return null;
            foreach (var item in list)
            {
                if (after is not null ? item.SequenceToken.CompareTo(after) > 0 : from is null || item.SequenceToken.CompareTo(from) >= 0) return item;
            }
            return null;
        }
    }

    /// <summary>Lets go of the stream's batches up to <paramref name="upTo"/>: they count as delivered from now on.</summary>
    private void Release(StreamId streamId, StreamSequenceToken upTo, bool inclusive)
    {
        lock (_lock)
        {
            if (!_streams.TryGetValue(streamId, out var list)) return;
            var n = 0;
            while (n < list.Count && list[n].SequenceToken.CompareTo(upTo) is var c && (c < 0 || (inclusive && c == 0))) n++;
            if (n == 0) return;
            _released.AddRange(list.GetRange(0, n));
            list.RemoveRange(0, n);
            _count -= n;
            if (list.Count == 0) _streams.Remove(streamId);
        }
    }

    /// <summary>
    /// The agent moves a consumer's cursor only after the previous delivery call returned, so moving past a batch is the
    /// moment it was delivered (or given up on after the agent's retries; the consumer then fills the gap from the log).
    /// </summary>
    private sealed class Cursor(ShardQueueCache cache, StreamId streamId, StreamSequenceToken? from) : IQueueCacheCursor
    {
        private IBatchContainer? _current;

        public IBatchContainer? GetCurrent(out Exception? exception)
        {
            exception = null;
            return _current;
        }

        [Obsolete("Use MoveNextWithResult instead.")]
        public bool MoveNext() => Advance();

        public QueueCacheCursorMoveResult MoveNextWithResult() =>
            Advance() ? QueueCacheCursorMoveResult.Success : QueueCacheCursorMoveResult.NoData;

        private bool Advance()
        {
            var after = _current?.SequenceToken;
            if (after is not null) cache.Release(streamId, after, inclusive: true);
            var next = cache.Next(streamId, after, from);
            if (next is null) return false;
            _current = next;
            return true;
        }

        public void Refresh(StreamSequenceToken token)
        {
        }

        public void RecordDeliveryFailure()
        {
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>Creates a <see cref="ShardQueueCache"/> per queue.</summary>
internal sealed class ShardQueueAdapterCache(int capacity) : IQueueAdapterCache
{
    public IQueueCache CreateQueueCache(QueueId queueId) => new ShardQueueCache(capacity);
}
