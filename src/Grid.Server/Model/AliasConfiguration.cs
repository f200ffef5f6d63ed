namespace Grid.Server.Model;

/// <summary>Lambda's AliasConfiguration: a named pointer to a version, optionally splitting traffic with a second one.</summary>
[GenerateSerializer]
public sealed class AliasConfiguration
{
    [Id(0)] public string AliasArn { get; set; } = "";
    [Id(1)] public string Name { get; set; } = "";
    [Id(2)] public string FunctionVersion { get; set; } = "";
    [Id(3)] public string Description { get; set; } = "";
    [Id(4)] public AliasRoutingConfiguration? RoutingConfig { get; set; }
    [Id(5)] public string RevisionId { get; set; } = "";

    /// <summary>The one additional version and its weight, if traffic is split.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public (string Version, double Weight)? Additional =>
        RoutingConfig?.AdditionalVersionWeights is { Count: > 0 } w ? (w.Keys.First(), w.Values.First()) : null;
}

[GenerateSerializer]
public sealed class AliasRoutingConfiguration
{
    [Id(0)] public Dictionary<string, double>? AdditionalVersionWeights { get; set; }
}
