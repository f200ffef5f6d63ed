namespace Grid.Client;

/// <summary>An alias: a name for a version, optionally sending a share of its traffic to other versions.</summary>
public sealed record AliasInfo(string Name, string AliasArn, string FunctionVersion, IReadOnlyDictionary<string, double>? AdditionalVersionWeights, string? Description)
{
    public string? RevisionId { get; init; }
}
