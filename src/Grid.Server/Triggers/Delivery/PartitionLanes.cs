using System.Text;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// ParallelizationFactor: a shard's records are split into lanes by a hash of the partition key, so lanes run concurrently
/// while each key stays in order. The hash is stable across nodes and restarts (FNV-1a over UTF-8).
/// </summary>
public static class PartitionLanes
{
    public static int LaneOf(string partitionKey, int lanes)
    {
        if (lanes <= 1) return 0;
        var hash = 2166136261u;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(partitionKey) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetBytes(partitionKey, buffer)]
            : Encoding.UTF8.GetBytes(partitionKey);
        foreach (var b in bytes) hash = (hash ^ b) * 16777619u;
        return (int)(hash % (uint)lanes);
    }

    /// <summary>The records grouped by lane, each lane in seq order.</summary>
    public static IReadOnlyList<IReadOnlyList<T>> Split<T>(IReadOnlyList<T> records, Func<T, string> partitionKey, int lanes)
    {
        if (lanes <= 1) return [records];
        var byLane = new List<T>?[lanes];
        foreach (var record in records) (byLane[LaneOf(partitionKey(record), lanes)] ??= []).Add(record);
        return byLane.Where(l => l is not null).Select(l => (IReadOnlyList<T>)l!).ToList();
    }
}
