using Grid.Client;

namespace Grid.Cli.Top;

/// <summary>
/// One function's line in `grid top`: totals from the latest sample and rates over the interval between two samples
/// (the node's counters are cumulative). Rates are null on the first sample.
/// </summary>
public sealed record TopRow(
    string FunctionName,
    long Invocations,
    double? InvocationsPerSecond,
    long Errors,
    double? ErrorsPerSecond,
    long Throttles,
    long ColdStarts,
    int Concurrent,
    int Warm,
    int Busy,
    double? AverageMs)
{
    public static IReadOnlyList<TopRow> From(NodeStats? previous, NodeStats current)
    {
        var seconds = previous is null ? 0 : (current.Timestamp - previous.Timestamp).TotalSeconds;
        var before = previous?.Functions.ToDictionary(f => f.FunctionName, StringComparer.Ordinal) ?? [];
        return current.Functions.Select(f =>
        {
            var p = before.GetValueOrDefault(f.FunctionName);
            double? Rate(long now, long? then) => seconds > 0 ? Math.Max(0, now - (then ?? 0)) / seconds : null;
            var newInvocations = f.Invocations - (p?.Invocations ?? 0);
            // The interval's average when something ran in it, else the average since the node started.
            double? average = previous is not null && newInvocations > 0 ? (f.DurationMsTotal - (p?.DurationMsTotal ?? 0)) / newInvocations
                : f.Invocations > 0 ? f.DurationMsTotal / f.Invocations : null;
            return new TopRow(f.FunctionName, f.Invocations, Rate(f.Invocations, p?.Invocations), f.Errors, Rate(f.Errors, p?.Errors),
                f.Throttles, f.ColdStarts, f.ConcurrentExecutions, f.WarmEnvironments, f.BusyEnvironments, average);
        })
        .OrderByDescending(r => r.InvocationsPerSecond ?? 0).ThenByDescending(r => r.Invocations).ThenBy(r => r.FunctionName, StringComparer.Ordinal)
        .ToList();
    }
}
