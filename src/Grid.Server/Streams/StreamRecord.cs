namespace Grid.Server.Streams;

/// <summary>One retained record of one shard, as read from the log.</summary>
[GenerateSerializer, Immutable]
public sealed record StreamRecord(
    [property: Id(0)] long Seq,
    [property: Id(1)] string PartitionKey,
    [property: Id(2)] byte[] Data,
    [property: Id(3)] long ArrivedMs);
