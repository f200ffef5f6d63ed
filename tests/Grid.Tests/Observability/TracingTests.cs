using System.Collections.Concurrent;
using System.Net;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Observability;

/// <summary>
/// A stand-in OTLP/HTTP collector: records every export body with the path it was posted to. Protobuf is not decoded;
/// tests look for the raw bytes of trace ids and resource attributes, which OTLP carries verbatim.
/// </summary>
public sealed class OtlpCollector : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public OtlpCollector()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public ConcurrentQueue<(string Path, byte[] Body)> Exports { get; } = new();

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            Exports.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}

/// <summary>Two cluster nodes exporting to one OTLP collector.</summary>
public sealed class TracedClusterFixture : ClusterNodeFixture
{
    public OtlpCollector Collector { get; } = new();

    protected override IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string>
    {
        ["Grid__Telemetry__OtlpEndpoint"] = Collector.Endpoint,
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Collector.Dispose();
    }
}

public sealed class TracingTests(TracedClusterFixture fixture) : IClassFixture<TracedClusterFixture>
{
    [Fact]
    public async Task An_invocation_is_one_trace_across_two_nodes_and_the_function_gets_its_id()
    {
        await using var second = await fixture.StartNodeAsync("node2");
        var name = NodeFixture.UniqueName("traced");
        var zip = Zips.Create(("app.py", "import os\ndef handler(e, c):\n    return {'trace': os.environ.get('_X_AMZN_TRACE_ID')}\n"));
        await fixture.Cli.OkAsync("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", "app.handler", "--role", $"arn:aws:iam::{fixture.Main.AccountId}:role/test", "--zip-file", Zips.ToFileArgument(zip));

        // The function grain lives on one of the two nodes: a first invoke through each node resolves the function
        // with a grain call, so at least one of the two traces crosses to the other node.
        var traces = new List<string>();
        foreach (var node in new[] { fixture.Node, second })
        {
            var result = await new Boto3(node.Endpoint, fixture.Main).RunAsync($$"""
                r = client.invoke(FunctionName={{Boto3.Literal(name)}}, Payload=b"{}")
                out({"header": r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-trace-id"], "body": json.loads(r["Payload"].read())})
                """);
            var header = (string)result!["header"]!;
            Assert.Matches("^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$", header);
            // The function saw the same trace (its own span would join it).
            Assert.StartsWith(header[..header.IndexOf(";Parent", StringComparison.Ordinal)], (string?)result["body"]!["trace"]);
            traces.Add(header[7..15] + header[16..40]);
        }

        var nodes = new[] { ($"127.0.0.1:{fixture.Node.SiloPort}", 1), ($"127.0.0.1:{second.SiloPort}", 2) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var spanning = traces.Where(t => nodes.All(n => ExportsOf(n.Item1).Any(body => Contains(body, Convert.FromHexString(t))))).ToList();
            if (spanning.Count > 0) break;
            if (DateTime.UtcNow > deadline)
            {
                var paths = string.Join(", ", fixture.Collector.Exports.Select(e => e.Path).Distinct());
                Assert.Fail($"no trace reached the collector from both nodes; traces {string.Join(", ", traces)}; {fixture.Collector.Exports.Count} exports to {paths}");
            }
            await Task.Delay(250);
        }
        // Metrics go to the collector as well (the same switch).
        Assert.Contains(fixture.Collector.Exports, e => e.Path == "/v1/metrics" && Contains(e.Body, "grid.invocations"u8.ToArray()));
    }

    private IEnumerable<byte[]> ExportsOf(string instance) =>
        fixture.Collector.Exports.Where(e => e.Path == "/v1/traces" && Contains(e.Body, System.Text.Encoding.UTF8.GetBytes(instance))).Select(e => e.Body);

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
