namespace Grid.Server.Streams;

/// <summary>
/// The single writer of one shard (key "{streamId}/{shard}"): assigns contiguous sequence numbers and group-commits
/// concurrent appends. A returned block is durable: its rows and the shard's head_seq committed in one transaction.
/// </summary>
public interface IShardWriterGrain : IGrainWithStringKey
{
    /// <summary>Appends <paramref name="records"/> in order; they get sequence numbers FirstSeq, FirstSeq+1, ...</summary>
    Task<AppendBlock> Append(PendingRecord[] records);

    public static string Key(string streamId, int shard) => $"{streamId}/{shard}";
}

/// <summary>The sequence number of the first record of an appended block (the rest follow contiguously) and its arrival time.</summary>
[GenerateSerializer, Immutable]
public readonly record struct AppendBlock([property: Id(0)] long FirstSeq, [property: Id(1)] long ArrivedMs);
