using Grid.Server.Model;

namespace Grid.Server.Storage;

/// <summary>
/// One function version as stored: its configuration document, tags (on $LATEST), code reference and the code of its
/// layers in /opt order.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record FunctionRecord(
    [property: Id(0)] string AccountId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Version,
    [property: Id(3)] FunctionConfiguration Config,
    [property: Id(4)] Dictionary<string, string> Tags,
    [property: Id(5)] string CodeSha256Hex,
    [property: Id(6)] IReadOnlyList<string> LayerSha256Hex)
{
    public string Key => $"{AccountId}/{Name}/{Version}";
}

/// <summary>Everything stored about one function: $LATEST, its published versions, aliases and version counter.</summary>
public sealed record StoredFunction(
    FunctionRecord Latest,
    SortedDictionary<int, FunctionRecord> Versions,
    Dictionary<string, AliasConfiguration> Aliases,
    int LastVersion);
