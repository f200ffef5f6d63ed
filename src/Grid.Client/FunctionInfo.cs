namespace Grid.Client;

/// <summary>A function's (or one version's) configuration as the node reports it.</summary>
public sealed record FunctionInfo(string FunctionName, string FunctionArn, string? Runtime, string? Handler, string Version, int MemorySize,
    int Timeout, long CodeSize, string CodeSha256, string? LastModified, string? State, string? Description)
{
    /// <summary>InProgress while an update is applied, then Successful (or Failed).</summary>
    public string? LastUpdateStatus { get; init; }

    public string? RevisionId { get; init; }

    public string? Role { get; init; }

    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Set by <see cref="IGridClient.GetFunctionAsync"/> only: the function's reserved concurrency, if any.</summary>
    public int? ReservedConcurrency { get; init; }
}
