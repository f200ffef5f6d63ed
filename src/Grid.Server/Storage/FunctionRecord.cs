using Grid.Server.Model;

namespace Grid.Server.Storage;

/// <summary>One function version as stored: its configuration document, tags and code reference.</summary>
[GenerateSerializer, Immutable]
public sealed record FunctionRecord(
    [property: Id(0)] string AccountId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Version,
    [property: Id(3)] FunctionConfiguration Config,
    [property: Id(4)] Dictionary<string, string> Tags,
    [property: Id(5)] string CodeSha256Hex);
