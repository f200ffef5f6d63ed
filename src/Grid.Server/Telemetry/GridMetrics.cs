using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grid.Server.Execution;
using Grid.Server.Storage;

namespace Grid.Server.Telemetry;

/// <summary>
/// Grid's own instruments (meter "Grid"). Prometheus names: grid_invocations_total, grid_invocation_errors_total,
/// grid_throttles_total, grid_cold_starts_total, grid_invocation_duration_seconds, grid_init_duration_seconds,
/// grid_concurrent_executions, grid_environments. Labels: account, function, version (+ error_type, state).
/// Async invocation: grid_async_queue_depth (events queued or running, cluster-wide, as this node last counted them),
/// grid_async_event_age_seconds (enqueue to the start of each attempt) and grid_async_dropped_total (events given up
/// or dropped, by reason); labels account, function (+ reason).
/// Streams: grid_stream_incoming_records_total (records acknowledged by PutRecord(s); labels account, stream),
/// grid_esm_records_total (records an event source mapping finished, its checkpoint moved past them) and
/// grid_esm_iterator_age_seconds (Lambda's IteratorAge: age of each batch's last record when the function gets it);
/// labels account, function, mapping.
/// The names are a contract: dashboards/ and its tests query them.
/// </summary>
public sealed class GridMetrics : IDisposable
{
    public const string MeterName = "Grid";

    /// <summary>Histogram buckets in seconds, from a fast warm invoke to Lambda's 15-minute limit.</summary>
    public static readonly double[] DurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

    /// <summary>Async event age in seconds: from an immediate start to Lambda's 6-hour maximum event age.</summary>
    public static readonly double[] EventAgeBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 10800, 21600];

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _invocations;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _throttles;
    private readonly Counter<long> _coldStarts;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _initDuration;
    private readonly UpDownCounter<long> _concurrent;

    public GridMetrics(EnvironmentFactory environments)
    {
        _invocations = _meter.CreateCounter<long>("grid.invocations", description: "Invocations that ran (sync and async), by function version.");
        _errors = _meter.CreateCounter<long>("grid.invocation.errors", description: "Invocations that ended in a function error, timeout or crash.");
        _throttles = _meter.CreateCounter<long>("grid.throttles", description: "Invokes refused with 429 TooManyRequestsException.");
        _coldStarts = _meter.CreateCounter<long>("grid.cold_starts", description: "Invocations that started a new environment.");
        _duration = _meter.CreateHistogram<double>("grid.invocation.duration", "s", "Invocation duration (runtime time, without init).");
        _initDuration = _meter.CreateHistogram<double>("grid.init.duration", "s", "Environment init duration on cold starts.");
        _concurrent = _meter.CreateUpDownCounter<long>("grid.concurrent_executions", description: "Invocations running now.");
        _meter.CreateObservableGauge("grid.environments", () => Environments(environments),
            description: "Environments on this node by state: starting, idle (warm), busy.");
        CreateAsyncInstruments();
        CreateStreamInstruments();
    }

    /// <summary>Makes a function version's error and throttle series exist at 0, so rates and alerts see them.</summary>
    public void Register(FunctionRecord f)
    {
        var tags = Tags(f);
        _errors.Add(0, tags);
        _throttles.Add(0, tags);
    }

    public void Started(FunctionRecord f) => _concurrent.Add(1, Tags(f));

    public void Ended(FunctionRecord f) => _concurrent.Add(-1, Tags(f));

    public void Finished(FunctionRecord f, double durationMs, double? initMs, string? errorType)
    {
        var tags = Tags(f);
        _invocations.Add(1, tags);
        _duration.Record(durationMs / 1000, tags);
        if (initMs is { } init)
        {
            _coldStarts.Add(1, tags);
            _initDuration.Record(init / 1000, tags);
        }
        if (errorType is not null)
        {
            tags.Add("error_type", errorType);
            _errors.Add(1, tags);
        }
    }

    public void Throttled(string account, string function, string version) =>
        _throttles.Add(1, new TagList { { "account", account }, { "function", function }, { "version", version } });

    private static TagList Tags(FunctionRecord f) =>
        new() { { "account", f.AccountId }, { "function", f.Name }, { "version", f.Version } };

    private static IEnumerable<Measurement<int>> Environments(EnvironmentFactory environments) =>
        environments.Live
            .GroupBy(e => (e.Function.AccountId, e.Function.Name, e.Function.Version, e.State))
            .Select(g => new Measurement<int>(g.Count(), new TagList
            {
                { "account", g.Key.AccountId }, { "function", g.Key.Name }, { "version", g.Key.Version }, { "state", g.Key.State },
            }));

    // Async invocation (Async/AsyncDispatcher.cs); created in the constructor by CreateAsyncInstruments.
    private Histogram<double> _asyncEventAge = null!;
    private Counter<long> _asyncDropped = null!;
    private long _asyncQueueDepth;

    /// <summary>Set by the dispatcher's periodic count; the gauge reads it, so a scrape costs no query.</summary>
    public long AsyncQueueDepth { get => Interlocked.Read(ref _asyncQueueDepth); set => Interlocked.Exchange(ref _asyncQueueDepth, value); }

    public void AsyncEventStarted(string account, string function, double ageSeconds) =>
        _asyncEventAge.Record(ageSeconds, new TagList { { "account", account }, { "function", function } });

    public void AsyncDropped(string account, string function, string reason) =>
        _asyncDropped.Add(1, new TagList { { "account", account }, { "function", function }, { "reason", reason } });

    private void CreateAsyncInstruments()
    {
        _meter.CreateObservableGauge("grid.async.queue_depth", () => AsyncQueueDepth,
            description: "Async events queued or running, cluster-wide (this node's last count).");
        _asyncDropped = _meter.CreateCounter<long>("grid.async.dropped",
            description: "Async events given up (retries exhausted, too old) or dropped (function deleted), by reason.");
        _asyncEventAge = _meter.CreateHistogram<double>("grid.async.event_age", "s", "Time from enqueue to the start of each attempt.");
    }

    // Streams and event source mappings (Streams/, Triggers/Delivery/); created in the constructor by CreateStreamInstruments.
    private Counter<long> _streamIncoming = null!;
    private Counter<long> _esmRecords = null!;
    private Histogram<double> _esmIteratorAge = null!;

    public void StreamRecordsIncoming(string account, string stream, int records) =>
        _streamIncoming.Add(records, new TagList { { "account", account }, { "stream", stream } });

    public void MappingBatchStarted(string account, string function, string mapping, double iteratorAgeSeconds) =>
        _esmIteratorAge.Record(iteratorAgeSeconds, new TagList { { "account", account }, { "function", function }, { "mapping", mapping } });

    public void MappingRecordsFinished(string account, string function, string mapping, int records) =>
        _esmRecords.Add(records, new TagList { { "account", account }, { "function", function }, { "mapping", mapping } });

    private void CreateStreamInstruments()
    {
        _streamIncoming = _meter.CreateCounter<long>("grid.stream.incoming_records", description: "Records acknowledged by PutRecord and PutRecords.");
        _esmRecords = _meter.CreateCounter<long>("grid.esm.records",
            description: "Records an event source mapping finished (processed, or given up under its failure rules) and checkpointed.");
        _esmIteratorAge = _meter.CreateHistogram<double>("grid.esm.iterator_age", "s",
            "Age of the last record of each batch when it goes to the function (Lambda's IteratorAge).");
    }

    public void Dispose() => _meter.Dispose();
}
