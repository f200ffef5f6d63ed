using System.Diagnostics;
using System.Text.Json.Nodes;
using Grid.Tests.Async;
using Grid.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Grid.Tests.Cluster;

/// <summary>Three nodes with 3-second async leases, a drain window for the test, and a callback listener for async events.</summary>
public sealed class FailureClusterFixture : ClusterHarness
{
    public CallbackListener Listener { get; } = new();

    protected override IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string>
    {
        ["Grid__AsyncRetryBaseDelay"] = "00:00:01",
        ["Grid__AsyncLeaseDuration"] = "00:00:03",
        ["Grid__DrainTimeout"] = "00:00:15",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Listener.DisposeAsync();
    }
}

/// <summary>
/// Issue 7's failure behaviour, under steady load from boto3 (every node), the AWS CLI (the node that stays up) and async events:
/// node 3 is killed with SIGKILL, node 2 is drained with SIGTERM and then restarted. Only requests to the killed or draining
/// node may fail, and only with retryable errors (connection refused/reset, 503); membership declares the dead node within a
/// bound; every acknowledged async event runs.
/// </summary>
public sealed class NodeFailureTests(FailureClusterFixture cluster, ITestOutputHelper output) : IClassFixture<FailureClusterFixture>
{
    private const int AsyncEvents = 300;
    private const int AsyncSeconds = 30;

    [Fact]
    public async Task Kill_drain_and_restart_under_load_lose_nothing_and_fail_only_retryably_on_the_nodes_concerned()
    {
        var sync = NodeFixture.UniqueName("steady");
        await cluster.Cli.OkAsync("lambda", "create-function", "--function-name", sync, "--runtime", "python3.11", "--handler", "app.handler",
            "--role", $"arn:aws:iam::{cluster.Main.AccountId}:role/test", "--zip-file",
            Zips.ToFileArgument(Zips.Create(("app.py", "import time\ndef handler(e, c):\n    time.sleep(0.02)\n    return e\n"))));
        var events = await AsyncFunctions.DeployAsync(cluster.Cli, cluster.Listener.Url);
        // Every node has the function warm before the load starts.
        foreach (var node in cluster.Nodes)
        {
            var warm = await new AwsCli(node.Endpoint, cluster.Main).InvokeAsync(sync, """{"warm":1}""");
            Assert.Null(warm.FunctionError);
        }

        var started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var syncLoad = cluster.Boto.RunAsync(SyncLoadScript(sync));
        var asyncLoad = cluster.Boto.RunAsync(AsyncLoadScript(events));
        using var stopLoad = new CancellationTokenSource();
        var cliLoad = CliLoadAsync(new AwsCli(cluster.Nodes[0].Endpoint, cluster.Main), sync, stopLoad.Token);
        var sdkLoad = SdkLoadAsync(cluster.Nodes[0].Endpoint, sync, stopLoad.Token);

        await Task.Delay(TimeSpan.FromSeconds(6));
        var killedAt = Now();
        var killed = cluster.Nodes[2];
        await cluster.KillAsync(2);
        var convergence = Stopwatch.StartNew();
        while (await cluster.SiloStatusAsync(killed) != 6)
        {
            Assert.True(convergence.Elapsed < TimeSpan.FromSeconds(60), "the killed node was not declared dead within 60 s");
            await Task.Delay(100);
        }
        output.WriteLine($"killed node 3 declared dead after {convergence.Elapsed.TotalSeconds:0.0} s");
        Assert.True(convergence.Elapsed < TimeSpan.FromSeconds(20), $"membership took {convergence.Elapsed.TotalSeconds:0.0} s to converge");

        await Task.Delay(TimeSpan.FromSeconds(3));
        var drainedAt = Now();
        var drained = cluster.Nodes[1];
        var drain = await cluster.DrainAsync(1);
        output.WriteLine($"node 2 drained and stopped in {drain.TotalSeconds:0.0} s");
        foreach (var line in drained.Output.Split('\n').Where(l => l.Contains("Drain", StringComparison.Ordinal)))
        {
            output.WriteLine("  node 2: " + line);
        }
        Assert.True(drain < TimeSpan.FromSeconds(15), $"drain took {drain}");
        var restarted = await cluster.RestartAsync(1);
        var restartedAt = Now();
        output.WriteLine($"node 2 restarted at +{restartedAt - started:0.0} s on {restarted.Endpoint}");
        // Load goes on for a while on the restarted node, then stops.
        await Task.Delay(TimeSpan.FromSeconds(5));
        await File.WriteAllTextAsync(StopFile, "stop");
        stopLoad.Cancel();

        var calls = (await syncLoad)!.AsArray();
        var sent = (await asyncLoad)!;
        var cliResults = await cliLoad;
        var sdkResults = await sdkLoad;

        // boto3, every node: outcomes per node index, in time.
        var summary = calls.GroupBy(c => ((int)c!["node"]!, (string)c["kind"]!)).Select(g => $"node{g.Key.Item1 + 1} {g.Key.Item2}: {g.Count()}");
        output.WriteLine("boto3 calls: " + string.Join(", ", summary));
        var okSeconds = calls.Where(c => (string)c!["kind"]! == "ok").GroupBy(c => (int)c!["node"]!)
            .Select(g => $"node{g.Key + 1} {g.Select(c => (double)c!["end"]! - (double)c["at"]!).Order().ElementAt(g.Count() / 2) * 1000:0} ms");
        output.WriteLine("boto3 ok call p50: " + string.Join(", ", okSeconds));
        foreach (var call in calls)
        {
            var node = (int)call!["node"]!;
            var kind = (string)call["kind"]!;
            // A call fails because of the kill or the drain if it was still running then: it may have started earlier.
            var at = (double)call["at"]!;
            var end = (double)call["end"]!;
            if (kind == "ok") continue;
            var what = $"node{node + 1} from +{at - started:0.00} s to +{end - started:0.00} s: {kind}";
            switch (node)
            {
                case 0:
                    Assert.Fail("the node that stayed up failed a call: " + what);
                    break;
                case 1:
                    // The drained node: retryable refusals between SIGTERM and the restart.
                    Assert.True(kind is "connection" or "503", "not retryable: " + what);
                    Assert.True(end >= drainedAt - 0.5 && at <= restartedAt + 1, "failed outside the drain and restart: " + what);
                    break;
                default:
                    Assert.True(kind == "connection", "not a connection error: " + what);
                    Assert.True(end >= killedAt - 0.5, "failed before the kill: " + what);
                    break;
            }
        }
        Assert.True(calls.Count(c => (int)c!["node"]! == 0 && (string)c["kind"]! == "ok") > 100, "too little load reached node 1");
        Assert.Contains(calls, c => (int)c!["node"]! == 1 && (string)c["kind"]! == "ok" && (double)c["at"]! > restartedAt);

        // AWS CLI against node 1: every call succeeded.
        output.WriteLine($"aws cli: {cliResults.Count} invokes");
        Assert.All(cliResults, r => Assert.True(r.Succeeded && r.Json?["FunctionError"] is null, r.ToString()));
        Assert.True(cliResults.Count >= 3);

        // The .NET SDK against node 1: every call succeeded.
        output.WriteLine($"sdk: {sdkResults.Count} invokes");
        Assert.True(sdkResults.Count > 50, $"only {sdkResults.Count} SDK invokes");
        Assert.All(sdkResults, r => Assert.True(r.StatusCode == 200 && r.FunctionError is null, $"{r.StatusCode} {r.FunctionError} {r.PayloadText}"));

        // Async: every event acknowledged with 202 ran at least once.
        var acknowledged = sent["acknowledged"]!.AsArray().Select(i => (int)i!).ToHashSet();
        output.WriteLine($"async: {acknowledged.Count} of {AsyncEvents} acknowledged, {sent["failures"]} sends failed over to another node");
        Assert.Equal(AsyncEvents, acknowledged.Count);
        var deadline = Stopwatch.StartNew();
        while (Ran().Count < acknowledged.Count && deadline.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(200);
        var missing = acknowledged.Except(Ran()).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged events never ran, e.g. {string.Join(", ", missing.Take(10))}");

        // The nodes API sees the outcome: two active nodes (1 and the restarted 2), the killed one dead.
        var nodes = await cluster.Boto.RunAsync("""out(json.loads(signed("GET", "/grid/2026-11-01/nodes")["Body"]))""");
        var states = nodes!["nodes"]!.AsArray().Select(n => $"{n!["siloAddress"]}={n["state"]}").ToList();
        output.WriteLine("nodes: " + string.Join(", ", states));
        Assert.Equal(2, nodes["nodes"]!.AsArray().Count(n => (string)n!["state"]! == "active"));
        Assert.Contains(nodes["nodes"]!.AsArray(), n => (string)n!["state"]! == "dead" && ((string)n["siloAddress"]!).Contains($":{killed.SiloPort}@"));

        HashSet<int> Ran() => cluster.Listener.For(events).Where(r => r.Event?["id"] is not null).Select(r => (int)r.Event!["id"]!).ToHashSet();
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private string StopFile => Path.Combine(cluster.Root, "stop-load");

    /// <summary>Sequential AWS CLI invokes against one node until <paramref name="stop"/>.</summary>
    private async Task<List<CliResult>> CliLoadAsync(AwsCli cli, string name, CancellationToken stop)
    {
        var results = new List<CliResult>();
        while (!stop.IsCancellationRequested)
        {
            results.Add(await cli.RunAsync("lambda", "invoke", "--function-name", name, "--cli-binary-format", "raw-in-base64-out",
                "--payload", """{"from":"cli"}""", Path.Combine(cluster.Root, $"cli-{results.Count}.json")));
        }
        return results;
    }

    /// <summary>Sequential Grid.Client invokes against one node until <paramref name="stop"/>.</summary>
    private async Task<List<Grid.Client.InvokeResult>> SdkLoadAsync(string endpoint, string name, CancellationToken stop)
    {
        using var client = new Grid.Client.GridClient(new Grid.Client.GridClientOptions
        {
            Endpoint = new Uri(endpoint), AccessKeyId = cluster.Main.AccessKeyId, SecretAccessKey = cluster.Main.SecretAccessKey,
        });
        var results = new List<Grid.Client.InvokeResult>();
        var payload = """{"from":"sdk"}"""u8.ToArray();
        try
        {
            while (!stop.IsCancellationRequested) results.Add(await client.InvokeRawAsync(name, payload, cancellationToken: CancellationToken.None));
        }
        catch (Grid.Client.GridException e)
        {
            // What node 1 logged is what explains a failure there.
            var errors = cluster.Nodes[0].Output.Split('\n').Where(l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
            throw new Xunit.Sdk.XunitException($"SDK invoke {results.Count + 1} failed: {e.Message}\nnode 1 log:\n{string.Join('\n', errors.Take(40))}");
        }
        return results;
    }

    /// <summary>Two boto3 threads per node index invoking until the stop file appears; each call recorded with its node, time and outcome kind.</summary>
    private string SyncLoadScript(string name) => $$$"""
        import time, threading
        from botocore.exceptions import ClientError, EndpointConnectionError, ConnectionClosedError, ReadTimeoutError
        path = {{{Boto3.Literal(cluster.EndpointsFile)}}}
        name = {{{Boto3.Literal(name)}}}
        stop = {{{Boto3.Literal(StopFile)}}}
        end = time.time() + 600  # a safety net: the test writes the stop file
        calls, lock = [], threading.Lock()
        clients = {}
        def client_for(url):
            if url not in clients:
                clients[url] = boto3.client("lambda", endpoint_url=url, region_name="us-east-1",
                    aws_access_key_id=CREDS.access_key, aws_secret_access_key=CREDS.secret_key,
                    config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=30))
            return clients[url]
        def worker(index):
            while time.time() < end and not os.path.exists(stop):
                url = json.load(open(path))[index]
                at = time.time()
                try:
                    r = client_for(url).invoke(FunctionName=name, Payload=b'{"n":1}')
                    kind = "ok" if r["StatusCode"] == 200 and "FunctionError" not in r else "function-error"
                except ClientError as e:
                    kind = str(e.response["ResponseMetadata"]["HTTPStatusCode"]) + ":" + e.response["Error"]["Code"]
                    if e.response["ResponseMetadata"]["HTTPStatusCode"] == 503: kind = "503"
                except (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, botocore.exceptions.ConnectionError) as e:
                    kind = "connection"
                with lock:
                    calls.append({"node": index, "at": at, "end": time.time(), "kind": kind})
                if kind != "ok":
                    time.sleep(0.2)
        threads = [threading.Thread(target=worker, args=(i,)) for i in range({{{ClusterHarness.Size}}}) for _ in range(2)]
        for t in threads: t.start()
        for t in threads: t.join()
        out(calls)
        """;

    /// <summary>Events sent at a steady rate through the nodes in turn; a send that fails is sent again through the next node, as a client would.</summary>
    private string AsyncLoadScript(string name) => $$$"""
        import time
        path = {{{Boto3.Literal(cluster.EndpointsFile)}}}
        name = {{{Boto3.Literal(name)}}}
        clients = {}
        def client_for(url):
            if url not in clients:
                clients[url] = boto3.client("lambda", endpoint_url=url, region_name="us-east-1",
                    aws_access_key_id=CREDS.access_key, aws_secret_access_key=CREDS.secret_key,
                    config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=10))
            return clients[url]
        acknowledged, failures = [], 0
        for i in range({{{AsyncEvents}}}):
            for attempt in range(30):
                url = json.load(open(path))[(i + attempt) % {{{ClusterHarness.Size}}}]
                try:
                    r = client_for(url).invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"id": i}).encode())
                    if r["StatusCode"] == 202:
                        acknowledged.append(i)
                        break
                except Exception:
                    failures += 1
            time.sleep({{{AsyncSeconds / (double)AsyncEvents}}})
        out({"acknowledged": acknowledged, "failures": failures})
        """;
}
