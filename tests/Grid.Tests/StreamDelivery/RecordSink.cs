using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.StreamDelivery;

/// <summary>
/// Where the test function reports every batch it was invoked with (functions run sandboxed, with a read-only filesystem,
/// but share the host's network): an HTTP listener on 127.0.0.1 that keeps, per shard, the records in the order the
/// invocations reported them.
/// </summary>
public sealed class RecordSink : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<int, List<Processed>> _byShard = [];
    private readonly HashSet<string> _distinct = [];
    private readonly Task _loop;
    private int _invocations;

    /// <summary>One record as the function saw it; <see cref="InvokedAt"/> is the function's clock (unix seconds).</summary>
    public sealed record Processed(int Shard, long Seq, string PartitionKey, string Data, double InvokedAt);

    public RecordSink()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/";

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
    public async Task WaitForAsync(int expected, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Distinct < expected)
        {
            if (clock.Elapsed > timeout)
            {
                throw new Xunit.Sdk.XunitException($"only {Distinct} of {expected} records were processed within {timeout.TotalSeconds:0} s");
            }
            await Task.Delay(100);
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            try
            {
                using var document = await JsonDocument.ParseAsync(context.Request.InputStream);
                var at = document.RootElement.GetProperty("t").GetDouble();
                lock (_lock)
                {
                    foreach (var r in document.RootElement.GetProperty("r").EnumerateArray())
                    {
                        var sequenceNumber = r[0].GetString()!;
                        var shard = int.Parse(sequenceNumber[..4], System.Globalization.CultureInfo.InvariantCulture);
                        var processed = new Processed(shard, long.Parse(sequenceNumber[4..], System.Globalization.CultureInfo.InvariantCulture),
                            r[1].GetString()!, r[2].GetString()!, at);
                        if (!_byShard.TryGetValue(shard, out var list)) _byShard[shard] = list = [];
                        list.Add(processed);
                        _distinct.Add(processed.Data);
                    }
                }
                Interlocked.Increment(ref _invocations);
                context.Response.StatusCode = 200;
            }
            catch (Exception)
            {
                context.Response.StatusCode = 400;
            }
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
