namespace Grid.Client;

/// <summary>Metered usage of the caller's account between <see cref="Start"/> and <see cref="End"/> (GET /grid/2026-11-01/usage).</summary>
public sealed record UsageReport(string AccountId, DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<UsageLine> Functions, UsageLine Total);

/// <summary>Requests, billed milliseconds and GB-seconds of one function (<see cref="FunctionName"/> null for the total).</summary>
public sealed record UsageLine(string? FunctionName, long Requests, long BilledDurationMs, double GbSeconds);
