using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Async;

/// <summary>Where the test functions post their evidence: each report is {kind, function, requestId, event}.</summary>
public sealed class CallbackListener : JsonPostListener
{
    private readonly ConcurrentQueue<Report> _reports = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public sealed record Report(string Kind, string Function, string RequestId, JsonNode? Event, TimeSpan At);

    public IReadOnlyList<Report> Reports => _reports.ToArray();

    public IReadOnlyList<Report> For(string function) => _reports.Where(r => r.Function == function).ToList();

    /// <summary>Waits until <paramref name="done"/> holds for the reports of <paramref name="function"/>, or fails with what arrived.</summary>
    public async Task<IReadOnlyList<Report>> WaitAsync(string function, Func<IReadOnlyList<Report>, bool> done, TimeSpan timeout)
    {
        IReadOnlyList<Report> reports = [];
        await PollAsync(() => done(reports = For(function)), timeout, () => $"timed out waiting for reports of {function}; got {reports.Count}:\n"
            + string.Join("\n", reports.Select(r => $"{r.At} {r.Kind} {r.RequestId} {r.Event?.ToJsonString()}")));
        return reports;
    }

    protected override void Receive(JsonNode body) =>
        _reports.Enqueue(new Report((string)body["kind"]!, (string)body["function"]!, (string)body["requestId"]!, body["event"], _clock.Elapsed));
}
