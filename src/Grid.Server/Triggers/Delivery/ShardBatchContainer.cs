using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Grid.Server.Triggers.Delivery;

/// <summary>One <see cref="ShardBatch"/> as an Orleans queue message. The token orders messages within its queue.</summary>
[GenerateSerializer, Immutable]
public sealed class ShardBatchContainer(StreamId streamId, EventSequenceTokenV2 token, ShardBatch batch) : IBatchContainer
{
    [Id(0)] public StreamId StreamId { get; } = streamId;
    [Id(1)] public EventSequenceTokenV2 Token { get; } = token;
    [Id(2)] public ShardBatch Batch { get; } = batch;

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Batch is T item ? [Tuple.Create(item, (StreamSequenceToken)Token)] : [];

    public bool ImportRequestContext() => false;

    public override string ToString() =>
        $"{StreamId} seq {(Batch.IsHeartbeat ? $"heartbeat {Batch.UpToSeq}" : $"{Batch.Records[0].Seq}..{Batch.Records[^1].Seq}")}";
}
