namespace Grid.Client;

/// <summary>The account's concurrency limits and what it stores.</summary>
public sealed record AccountSettings(int ConcurrentExecutions, int UnreservedConcurrentExecutions, long TotalCodeSize, long FunctionCount);
