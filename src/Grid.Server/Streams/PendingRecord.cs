namespace Grid.Server.Streams;

/// <summary>A record on its way into a shard: the shard writer assigns its sequence number and arrival time.</summary>
[GenerateSerializer, Immutable]
public sealed record PendingRecord([property: Id(0)] string PartitionKey, [property: Id(1)] byte[] Data);

/// <summary>Where an appended record landed.</summary>
public sealed record AppendedRecord(int Shard, long Seq, long ArrivedMs);
