namespace Grid.Client;

/// <summary>One node's live view (GET /grid/2026-11-01/stats); counters are cumulative since the node started.</summary>
public sealed record NodeStats(string Node, DateTimeOffset Timestamp, double UptimeSeconds, EnvironmentCounts Environments, IReadOnlyList<FunctionStats> Functions);

public sealed record EnvironmentCounts(int Total, int Busy, int Idle);

public sealed record FunctionStats(string FunctionName, long Invocations, long Errors, long Throttles, long ColdStarts, int ConcurrentExecutions,
    int WarmEnvironments, int BusyEnvironments, double DurationMsTotal);
