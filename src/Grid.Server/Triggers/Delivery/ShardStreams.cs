using System.Globalization;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// Names in the Orleans stream world: provider "grid-shards", namespace "grid-esm", one stream per mapping and shard keyed
/// "{mappingUuid}:{shard}" (the key of its <see cref="ShardConsumerGrain"/>).
/// </summary>
public static class ShardStreams
{
    public const string ProviderName = "grid-shards";
    public const string Namespace = "grid-esm";

    public static string Key(string mappingUuid, int shard) => $"{mappingUuid}:{shard.ToString(CultureInfo.InvariantCulture)}";

    public static StreamId Id(string mappingUuid, int shard) => StreamId.Create(Namespace, Key(mappingUuid, shard));

    public static (string MappingUuid, int Shard) Parse(string key)
    {
        var colon = key.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(key.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var shard))
        {
            throw new FormatException($"'{key}' is not a mapping shard key (expected '{{uuid}}:{{shard}}').");
        }
        return (key[..colon], shard);
    }
}
