using Grid.Server.Streams;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// "Anything new?" for all the queues on this node in one query per poll period: each queue asks for its streams' shard
/// heads, and a query younger than the poll period (finished or still running) answers everyone. An idle node with
/// mappings then costs one cheap primary-key query per poll, not one per queue.
/// </summary>
internal sealed class ShardHeadsCache(StreamLog log)
{
    private static readonly TimeSpan Forget = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _asked = [];   // stream id -> when a queue last asked (Environment.TickCount64)
    private Task<IReadOnlyDictionary<(string StreamId, int Shard), long>>? _query;
    private long _queryStarted;

    public Task<IReadOnlyDictionary<(string StreamId, int Shard), long>> GetAsync(IReadOnlyCollection<string> streamIds, TimeSpan maxAge,
        CancellationToken ct)
    {
        lock (_lock)
        {
            var now = Environment.TickCount64;
            var covered = true;
            foreach (var id in streamIds)
            {
                if (!_asked.ContainsKey(id)) covered = false;
                _asked[id] = now;
            }
            if (_query is null || !covered || _query.IsFaulted || _query.IsCanceled || now - _queryStarted >= maxAge.TotalMilliseconds)
            {
                foreach (var stale in _asked.Where(a => now - a.Value > Forget.TotalMilliseconds).Select(a => a.Key).ToList()) _asked.Remove(stale);
                // On the thread pool, not the asking agent's scheduler: every queue on the node awaits this one query.
                var ids = _asked.Keys.ToList();
                _query = Task.Run(() => log.HeadsAsync(ids, CancellationToken.None));
                _queryStarted = now;
            }
            return _query.WaitAsync(ct);
        }
    }
}
