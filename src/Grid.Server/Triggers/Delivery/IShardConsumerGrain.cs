namespace Grid.Server.Triggers.Delivery;

/// <summary>The consumer of one mapping shard, keyed "{mappingUuid}:{shard}"; fed by the "grid-shards" stream provider.</summary>
public interface IShardConsumerGrain : IGrainWithStringKey;
