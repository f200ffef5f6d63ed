using System.Diagnostics;
using Grid.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Grid.Tests.Async;

/// <summary>A two-node cluster with 3-second leases and a callback listener.</summary>
public sealed class AsyncClusterFixture : ClusterNodeFixture
{
    public AsyncClusterFixture() => Listener = Own(new CallbackListener());

    public CallbackListener Listener { get; }

    protected override IReadOnlyDictionary<string, string> NodeEnvironment => AsyncFixture.Settings(TimeSpan.FromSeconds(1));
}

/// <summary>At least once across a SIGKILL: 1,000 events through two nodes, one node killed mid-way, every event delivered.</summary>
public sealed class AsyncKillTests(AsyncClusterFixture fixture, ITestOutputHelper output) : IClassFixture<AsyncClusterFixture>
{
    private const int Events = 1000;

    [Fact]
    public async Task Every_event_is_delivered_at_least_once_when_a_node_is_killed_mid_way()
    {
        await using var second = await fixture.StartNodeAsync("node2");
        var name = await AsyncFunctions.DeployAsync(fixture.Cli, fixture.Listener.Url);
        var viaSecond = new AwsCli(second.Endpoint, fixture.Main);
        // Both nodes can run it (and have warmed their caches) before the load starts.
        await WarmAsync(fixture.Cli, name);
        await WarmAsync(viaSecond, name);

        // Send events 0..999 alternately through the two nodes, 16 at a time. A send to the killed node that was not
        // acknowledged with 202 is sent again through the surviving node, as a client would; every 202 must be delivered.
        // (Sends retry 429/5xx: the test's clients have the SDK retries off.)
        var sender = fixture.Boto.RunAsync($$$"""
            import concurrent.futures, time
            first = client
            second = boto3.client("lambda", endpoint_url={{{Boto3.Literal(second.Endpoint)}}}, region_name="us-east-1",
                aws_access_key_id=CREDS.access_key, aws_secret_access_key=CREDS.secret_key,
                config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=10, max_pool_connections=64))
            name = {{{Boto3.Literal(name)}}}
            def send(i):
                payload = json.dumps({"id": i, "sleep": 0.2}).encode()
                if i % 2 == 1:
                    try:
                        r = second.invoke(FunctionName=name, InvocationType="Event", Payload=payload)
                        if r["StatusCode"] == 202:
                            return "second"
                    except Exception:
                        pass
                # While the cluster notices the dead node, calls that reach a grain it hosted fail with 500 (or 429):
                # retried, as the SDKs' own retry modes would.
                for attempt in range(120):
                    try:
                        r = first.invoke(FunctionName=name, InvocationType="Event", Payload=payload)
                        assert r["StatusCode"] == 202, r
                        return "first"
                    except botocore.exceptions.ClientError as e:
                        if e.response["ResponseMetadata"]["HTTPStatusCode"] not in (429, 500, 502, 503) or attempt == 119:
                            raise
                        time.sleep(0.5)
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                via = list(pool.map(send, range({{{Events}}})))
            out({"first": via.count("first"), "second": via.count("second")})
            """);

        // Kill node two with SIGKILL once a quarter of the events have run: it holds leased, running and queued events.
        var clock = Stopwatch.StartNew();
        while (Distinct() < Events / 4)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"only {Distinct()} events ran in 2 minutes");
            Assert.False(sender.IsCompleted && sender.IsFaulted, sender.Exception?.ToString());
            await Task.Delay(20);
        }
        var killedAfter = Distinct();
        var kill = await ProcessRunner.RunAsync("kill", ["-9", second.ProcessId.ToString()]);
        Assert.Equal(0, kill.ExitCode);
        output.WriteLine($"killed node2 after {killedAfter} distinct events, at {clock.Elapsed}");

        var sent = await sender;
        output.WriteLine($"acknowledged: via node1 {sent!["first"]}, via node2 {sent["second"]}");
        Assert.Equal(Events, (int)sent["first"]! + (int)sent["second"]!);
        Assert.True((int)sent["second"]! > 0);

        var deadline = Stopwatch.StartNew();
        while (Distinct() < Events && deadline.Elapsed < TimeSpan.FromMinutes(4)) await Task.Delay(200);
        var reports = fixture.Listener.For(name).Where(r => r.Event?["id"] is not null).ToList();
        var missing = Enumerable.Range(0, Events).Except(reports.Select(r => (int)r.Event!["id"]!)).ToList();
        output.WriteLine($"all delivered after {clock.Elapsed}; {reports.Count} runs for {Events} events ({reports.Count - Distinct()} duplicates)");
        Assert.True(missing.Count == 0, $"{missing.Count} events never ran, e.g. {string.Join(", ", missing.Take(20))}");

        // Nothing is left behind in the queue.
        var empty = Stopwatch.StartNew();
        while (await fixture.CountAsync($"SELECT count(*) FROM grid_async_events WHERE name = '{name}'") > 0)
        {
            Assert.True(empty.Elapsed < TimeSpan.FromSeconds(30), "events left in the queue");
            await Task.Delay(200);
        }

        int Distinct() => fixture.Listener.For(name).Where(r => r.Event?["id"] is not null).Select(r => (int)r.Event!["id"]!).Distinct().Count();
    }

    /// <summary>A synchronous invoke through <paramref name="cli"/> that succeeds, retrying throttles (429) for up to 30 s as a client would.</summary>
    private async Task WarmAsync(AwsCli cli, string name)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var result = await cli.RunAsync("lambda", "invoke", "--function-name", name, "--cli-binary-format", "raw-in-base64-out",
                "--payload", """{"warm":true}""", Path.Combine(fixture.Root, "warm.json"));
            if (result.Succeeded) return;
            output.WriteLine($"warm-up after {clock.Elapsed}: {result.ErrorCode} {result.ErrorMessage}");
            Assert.True(result.ErrorCode == "TooManyRequestsException" && clock.Elapsed < TimeSpan.FromSeconds(30), result.ToString());
            await Task.Delay(500);
        }
    }
}
