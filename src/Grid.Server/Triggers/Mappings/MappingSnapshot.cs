namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// What a shard consumer needs of one mapping, read once (refreshed by the caller), so the hot path never reads the mapping row.
/// <see cref="FunctionName"/> is unqualified; <see cref="Qualifier"/> null means $LATEST.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MappingSnapshot(
    [property: Id(0)] string Uuid,
    [property: Id(1)] string AccountId,
    [property: Id(2)] string FunctionName,
    [property: Id(3)] string? Qualifier,
    [property: Id(4)] string EventSourceArn,
    [property: Id(5)] string StreamId,
    [property: Id(6)] int ShardCount,
    [property: Id(7)] MappingSettings Settings,
    [property: Id(8)] bool Enabled);
