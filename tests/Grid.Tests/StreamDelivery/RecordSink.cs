using System.Globalization;
using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.StreamDelivery;

/// <summary>
/// Where the test function reports every batch it was invoked with: keeps, per shard, the records in the order the
/// invocations reported them.
/// </summary>
public sealed class RecordSink : JsonPostListener
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, List<Processed>> _byShard = [];
    private readonly HashSet<string> _distinct = [];
    private int _invocations;

    /// <summary>One record as the function saw it; <see cref="InvokedAt"/> is the function's clock (unix seconds).</summary>
    public sealed record Processed(int Shard, long Seq, string PartitionKey, string Data, double InvokedAt);

    public int Distinct
    {
        get { lock (_lock) return _distinct.Count; }
    }

    public int Invocations => Volatile.Read(ref _invocations);

    public IReadOnlyDictionary<int, IReadOnlyList<Processed>> ByShard()
    {
        lock (_lock) return _byShard.ToDictionary(p => p.Key, p => (IReadOnlyList<Processed>)p.Value.ToList());
    }

    /// <summary>Waits until <paramref name="expected"/> distinct records (by data) were processed, or fails saying how many were.</summary>
    public Task WaitForAsync(int expected, TimeSpan timeout) => PollAsync(() => Distinct >= expected, timeout,
        () => $"only {Distinct} of {expected} records were processed within {timeout.TotalSeconds:0} s");

    /// <summary>A batch: {"t": the function's clock, "r": [[sequence number (4-digit shard, then seq), partition key, data], ...]}.</summary>
    protected override void Receive(JsonNode body)
    {
        var at = body["t"]!.GetValue<double>();
        lock (_lock)
        {
            foreach (var r in body["r"]!.AsArray())
            {
                var sequenceNumber = (string)r![0]!;
                var shard = int.Parse(sequenceNumber[..4], CultureInfo.InvariantCulture);
                var processed = new Processed(shard, long.Parse(sequenceNumber[4..], CultureInfo.InvariantCulture), (string)r[1]!, (string)r[2]!, at);
                if (!_byShard.TryGetValue(shard, out var list)) _byShard[shard] = list = [];
                list.Add(processed);
                _distinct.Add(processed.Data);
            }
        }
        Interlocked.Increment(ref _invocations);
    }
}
