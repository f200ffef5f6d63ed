using Grid.Server.Streams;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// What the "grid-shards" provider delivers to a <see cref="ShardConsumerGrain"/>: records of one shard in seq order, or
/// (no records) a heartbeat saying the queue has sent everything up to <see cref="UpToSeq"/>, so a consumer that lost
/// batches in memory reads the missing range from the log.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ShardBatch(
    [property: Id(0)] string MappingUuid,
    [property: Id(1)] int Shard,
    [property: Id(2)] StreamRecord[] Records,
    [property: Id(3)] long UpToSeq)
{
    public bool IsHeartbeat => Records.Length == 0;
}
