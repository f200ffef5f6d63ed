using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Grid.Server.Telemetry;

/// <summary>
/// Cumulative per-function counters of this node since it started (invocations, errors, throttles, cold starts,
/// duration, running now), for the stats endpoint and `grid top`.
/// Fed by listening to Grid's own meter (<see cref="GridMetrics"/>): the executor and the invoker already record
/// every one of these events there, with account and function tags, so the invoke path needs no second set of calls.
/// Per measurement: a scan of three or four tags, one dictionary lookup and an Interlocked add; no allocation
/// once a function has been seen.
/// </summary>
public sealed class FunctionStats : IDisposable
{
    private readonly ConcurrentDictionary<(string Account, string Function), Counters> _functions = new();
    private readonly MeterListener _listener = new();

    /// <summary>One function's counters; fields are updated with Interlocked only.</summary>
    public sealed class Counters
    {
        internal long InvocationCount;
        internal long ErrorCount;
        internal long ThrottleCount;
        internal long ColdStartCount;
        internal long Running;
        internal long DurationMicroseconds; // an integer so that Interlocked.Add works; µs keeps sub-millisecond precision

        public long Invocations => Interlocked.Read(ref InvocationCount);
        public long Errors => Interlocked.Read(ref ErrorCount);
        public long Throttles => Interlocked.Read(ref ThrottleCount);
        public long ColdStarts => Interlocked.Read(ref ColdStartCount);
        public int ConcurrentExecutions => (int)Math.Max(0, Interlocked.Read(ref Running));
        public double DurationMsTotal => Interlocked.Read(ref DurationMicroseconds) / 1000.0;
    }

    public FunctionStats()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != GridMetrics.MeterName) return;
            switch (instrument.Name)
            {
                case "grid.invocations":
                case "grid.invocation.errors":
                case "grid.throttles":
                case "grid.cold_starts":
                case "grid.concurrent_executions":
                case "grid.invocation.duration":
                    listener.EnableMeasurementEvents(instrument);
                    break;
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnLong);
        _listener.SetMeasurementEventCallback<double>(OnDouble);
        _listener.Start();
    }

    /// <summary>Every function of <paramref name="account"/> this node has seen, with its counters.</summary>
    public IEnumerable<(string Function, Counters Counters)> ForAccount(string account) =>
        _functions.Where(f => f.Key.Account == account).Select(f => (f.Key.Function, f.Value));

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (value == 0 || Find(tags) is not { } counters) return; // GridMetrics.Register adds 0 to create series
        switch (instrument.Name)
        {
            case "grid.invocations": Interlocked.Add(ref counters.InvocationCount, value); break;
            case "grid.invocation.errors": Interlocked.Add(ref counters.ErrorCount, value); break;
            case "grid.throttles": Interlocked.Add(ref counters.ThrottleCount, value); break;
            case "grid.cold_starts": Interlocked.Add(ref counters.ColdStartCount, value); break;
            case "grid.concurrent_executions": Interlocked.Add(ref counters.Running, value); break;
        }
    }

    private void OnDouble(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (Find(tags) is { } counters) Interlocked.Add(ref counters.DurationMicroseconds, (long)(seconds * 1_000_000));
    }

    private Counters? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? account = null, function = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "account") account = tag.Value as string;
            else if (tag.Key == "function") function = tag.Value as string;
        }
        if (account is null || function is null) return null;
        return _functions.GetOrAdd((account, function), static _ => new Counters());
    }

    public void Dispose() => _listener.Dispose();
}
