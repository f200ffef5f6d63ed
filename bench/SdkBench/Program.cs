// Measures the Grid .NET SDK's invoke path against the floor: a raw HttpClient POST carrying a SigV4 signature
// computed once up front (valid for the node's 15-minute skew window), to the same echo function on the same node.
// Modes alternate in rounds so machine noise hits them alike. Prints one JSON document.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grid.Client;

var arguments = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(p => p.a[2..], p => args[p.i + 1]);
var endpoint = new Uri(arguments["endpoint"]);
var options = new GridClientOptions { Endpoint = endpoint, AccessKeyId = arguments["key"], SecretAccessKey = arguments["secret"] };
var function = arguments.GetValueOrDefault("function", "sdk-bench-echo");
var sequentialCalls = int.Parse(arguments.GetValueOrDefault("sequential", "2000"));
var concurrency = int.Parse(arguments.GetValueOrDefault("concurrency", "32"));
var seconds = double.Parse(arguments.GetValueOrDefault("seconds", "5"), System.Globalization.CultureInfo.InvariantCulture);
var rounds = int.Parse(arguments.GetValueOrDefault("rounds", "3"));

using var client = new GridClient(options);
await client.DeployAsync(new DeployRequest
{
    FunctionName = function, Directory = arguments["echo-dir"], Runtime = "nodejs20.x", Handler = "echo.handler", MemorySize = 256,
});
var payload = """{"id":42,"items":["tea","milk"],"note":"benchmark payload"}"""u8.ToArray();
var typedInput = JsonSerializer.Deserialize<Order>(payload, JsonSerializerOptions.Web)!;

using var raw = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), UseProxy = false, UseCookies = false });
var url = new Uri(endpoint, $"/2015-03-31/functions/{function}/invocations");
var signed = PreSigned.Headers(options, url, payload);

async Task RawInvoke()
{
    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(payload) };
    foreach (var (name, value) in signed) request.Headers.TryAddWithoutValidation(name, value);
    using var response = await raw.SendAsync(request, HttpCompletionOption.ResponseContentRead);
    var body = await response.Content.ReadAsByteArrayAsync();
    if (!response.IsSuccessStatusCode || body.Length != payload.Length) throw new InvalidOperationException($"raw invoke failed: {(int)response.StatusCode}");
}

async Task SdkRawInvoke()
{
    var result = await client.InvokeRawAsync(function, payload);
    if (result.FunctionError is not null || result.Payload.Length != payload.Length) throw new InvalidOperationException("sdk raw invoke failed");
}

async Task SdkTypedInvoke()
{
    var result = await client.InvokeAsync<Order, Order>(function, typedInput);
    if (result?.Id != 42) throw new InvalidOperationException("sdk typed invoke failed");
}

var modes = new (string Name, Func<Task> Call)[] { ("raw_httpclient_presigned", RawInvoke), ("sdk_invoke_raw", SdkRawInvoke), ("sdk_invoke_typed", SdkTypedInvoke) };

// Warm-up: JIT, tiered compilation and the function's environments (up to `concurrency` of them).
foreach (var (_, call) in modes) await Throughput(call, concurrency, TimeSpan.FromSeconds(Math.Max(2, seconds / 2)));

var latency = modes.ToDictionary(m => m.Name, _ => new List<double>());
var rps = modes.ToDictionary(m => m.Name, _ => new List<double>());
for (var round = 0; round < rounds; round++)
{
    // Sequential latency: one call of each mode in turn, so drift in the machine's load hits every mode alike.
    for (var i = 0; i < sequentialCalls / rounds; i++)
    {
        foreach (var (name, call) in modes)
        {
            var start = Stopwatch.GetTimestamp();
            await call();
            latency[name].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }
    foreach (var (name, call) in modes) rps[name].Add(await Throughput(call, concurrency, TimeSpan.FromSeconds(seconds)));
}

var result = new JsonObject
{
    ["endpoint"] = endpoint.ToString(),
    ["payload_bytes"] = payload.Length,
    ["sequential_calls_per_mode"] = latency.First().Value.Count,
    ["concurrency"] = concurrency,
    ["seconds_per_throughput_sample"] = seconds,
    ["rounds"] = rounds,
};
foreach (var (name, _) in modes)
{
    var sorted = latency[name].Order().ToList();
    result[name] = new JsonObject
    {
        ["sequential_p50_ms"] = Math.Round(Percentile(sorted, 0.50), 3),
        ["sequential_p99_ms"] = Math.Round(Percentile(sorted, 0.99), 3),
        ["sequential_mean_ms"] = Math.Round(sorted.Average(), 3),
        [$"concurrent{concurrency}_rps_median"] = Math.Round(Median(rps[name]), 0),
        [$"concurrent{concurrency}_rps_samples"] = new JsonArray(rps[name].Select(r => (JsonNode)Math.Round(r, 0)).ToArray()),
    };
}
double Ratio(string a, string b, Func<JsonNode, double> pick) => Math.Round(pick(result[a]!) / pick(result[b]!), 3);
result["ratios"] = new JsonObject
{
    ["sdk_raw_vs_raw_p50"] = Ratio("sdk_invoke_raw", "raw_httpclient_presigned", n => (double)n["sequential_p50_ms"]!),
    ["sdk_typed_vs_raw_p50"] = Ratio("sdk_invoke_typed", "raw_httpclient_presigned", n => (double)n["sequential_p50_ms"]!),
    ["sdk_raw_vs_raw_rps"] = Ratio("sdk_invoke_raw", "raw_httpclient_presigned", n => (double)n[$"concurrent{concurrency}_rps_median"]!),
    ["sdk_typed_vs_raw_rps"] = Ratio("sdk_invoke_typed", "raw_httpclient_presigned", n => (double)n[$"concurrent{concurrency}_rps_median"]!),
};
result["client_side_only"] = await ClientSide.MeasureAsync(options, function, payload, typedInput);
Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return 0;

static async Task<double> Throughput(Func<Task> call, int workers, TimeSpan duration)
{
    var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    long done = 0;
    var start = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
    {
        while (Stopwatch.GetTimestamp() < stop)
        {
            await call();
            Interlocked.Increment(ref done);
        }
    }));
    return done / Stopwatch.GetElapsedTime(start).TotalSeconds;
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

static double Median(List<double> values) => Percentile(values.Order().ToList(), 0.5);

internal sealed record Order(int Id, string[] Items, string Note);
