using System.Globalization;
using System.Text.RegularExpressions;
using Grid.Tests.Infrastructure;
using Grid.Tests.Invoke;
using Xunit;

namespace Grid.Tests.Observability;

/// <summary>Metrics, usage, logs and the dashboard of one node after a scripted workload, read the way operators read them.</summary>
public sealed partial class TelemetryTests(InvokeFixture fixture) : IClassFixture<InvokeFixture>
{
    private const string Handler = """
        def handler(event, context):
            print("handling", context.aws_request_id)
            if event.get("fail"):
                raise ValueError("failed on purpose")
            return {"ok": True}
        """;

    private static readonly HttpClient Http = new();

    private async Task<string> DeployAsync(int memory = 256)
    {
        var name = NodeFixture.UniqueName("tele");
        await fixture.DeployAsAsync(name, Zips.Create(("app.py", Handler)), "python3.11", "app.handler", "--memory-size", memory.ToString());
        return name;
    }

    /// <summary>5 successes and 2 function errors, through boto3; returns the request ids.</summary>
    private async Task<List<string>> WorkloadAsync(string name)
    {
        var result = await fixture.Boto.RunAsync($$"""
            ids = []
            for i in range(7):
                r = client.invoke(FunctionName={{Boto3.Literal(name)}}, Payload=json.dumps({"fail": i >= 5}))
                r["Payload"].read()
                assert ("FunctionError" in r) == (i >= 5), r
                ids.append(r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
            out(ids)
            """);
        return result!.AsArray().Select(n => (string)n!).ToList();
    }

    [Fact]
    public async Task Metrics_count_what_was_invoked()
    {
        var name = await DeployAsync();
        await WorkloadAsync(name);
        var metrics = await Http.GetStringAsync(fixture.Node.Endpoint + "/metrics");

        Assert.Equal(7, Sum(metrics, "grid_invocations_total", name));
        Assert.Equal(2, Sum(metrics, "grid_invocation_errors_total", name));
        Assert.Contains($"error_type=\"ValueError\"", Lines(metrics, "grid_invocation_errors_total", name).First(l => !l.EndsWith(" 0")));
        Assert.Equal(1, Sum(metrics, "grid_cold_starts_total", name));
        Assert.Equal(0, Sum(metrics, "grid_throttles_total", name));
        Assert.Equal(7, Sum(metrics, "grid_invocation_duration_seconds_count", name));
        Assert.Equal(1, Sum(metrics, "grid_init_duration_seconds_count", name));
        Assert.Equal(0, Sum(metrics, "grid_concurrent_executions", name));
        Assert.Contains(Lines(metrics, "grid_environments", name), l => l.Contains("state=\"idle\"") && l.EndsWith(" 1"));
        // The platform's own meters are there too.
        foreach (var family in new[] { "orleans_app_requests_latency_milliseconds_bucket", "dotnet_gc_collections_total", "process_cpu_time_seconds_total", "http_server_request_duration_seconds_bucket" })
        {
            Assert.Contains("\n" + family, metrics);
        }
    }

    [Fact]
    public async Task Usage_matches_the_billed_durations_of_the_invocations()
    {
        var name = await DeployAsync(memory: 512);
        var ids = await WorkloadAsync(name);
        var result = await fixture.Boto.RunAsync($$"""
            usage = json.loads(signed("GET", "/grid/2026-11-01/usage")["Body"])
            logs = json.loads(signed("GET", "/grid/2026-11-01/functions/{{name}}/logs?limit=100")["Body"])
            out({"usage": usage, "logs": logs})
            """);
        var line = result!["usage"]!["functions"]!.AsArray().Single(f => (string?)f!["functionName"] == name)!;
        var billed = Regex.Matches(string.Join("\n", result["logs"]!["events"]!.AsArray().Select(e => (string?)e!["message"])), @"Billed Duration: (\d+) ms")
            .Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(7, ids.Count);
        Assert.Equal(7, (long)line["requests"]!);
        Assert.Equal(billed, (long)line["billedDurationMs"]!);
        Assert.Equal(billed * 512 / 1024.0 / 1000.0, (double)line["gbSeconds"]!, 5);
        Assert.True((long)result["usage"]!["total"]!["requests"]! >= 7);

        // Another account sees none of it.
        var other = await new Boto3(fixture.Node.Endpoint, fixture.Other).RunAsync("""out(json.loads(signed("GET", "/grid/2026-11-01/usage")["Body"]))""");
        Assert.DoesNotContain(other!["functions"]!.AsArray(), f => (string?)f!["functionName"] == name);
    }

    [Fact]
    public async Task Logs_are_searchable_by_request_id_and_time_and_followable()
    {
        var name = await DeployAsync();
        var ids = await WorkloadAsync(name);
        var result = await fixture.Boto.RunAsync($$"""
            base = "/grid/2026-11-01/functions/{{name}}/logs"
            one = json.loads(signed("GET", base + "?requestId={{ids[5]}}")["Body"])["events"]
            future = json.loads(signed("GET", base + "?startTime=%d" % (9999999999999))["Body"])["events"]

            # Follow: a streaming request sees an invocation made after it started.
            import http.client, time
            url = ENDPOINT + base + "?follow=true&timeout=20&startTime=%d" % (int(time.time() * 1000) + 60000)
            request = AWSRequest(method="GET", url=url)
            SigV4Auth(CREDS, "lambda", "us-east-1").add_auth(request)
            host = ENDPOINT.split("//")[1]
            conn = http.client.HTTPConnection(host, timeout=30)
            conn.request("GET", url[len(ENDPOINT):], headers=dict(request.headers))
            response = conn.getresponse()
            time.sleep(0.5)
            r = client.invoke(FunctionName={{Boto3.Literal(name)}}, Payload=b"{}")
            new_id = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
            followed = json.loads(response.readline())
            out({"one": one, "future": future, "status": response.status, "followed": followed, "new_id": new_id})
            """);
        var one = result!["one"]!.AsArray();
        Assert.Single(one);
        Assert.Equal(ids[5], (string?)one[0]!["requestId"]);
        Assert.Contains("failed on purpose", (string?)one[0]!["message"]);
        Assert.Contains($"REPORT RequestId: {ids[5]}", (string?)one[0]!["message"]);
        Assert.Empty(result["future"]!.AsArray());
        Assert.Equal(200, (int)result["status"]!);
        Assert.Equal((string?)result["new_id"], (string?)result["followed"]!["requestId"]);
        Assert.Contains("handling " + (string?)result["new_id"], (string?)result["followed"]!["message"]);
    }

    [Fact]
    public async Task The_orleans_dashboard_needs_an_access_key()
    {
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await Http.GetAsync(fixture.Node.Endpoint + "/dashboard/")).StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, fixture.Node.Endpoint + "/dashboard/");
        wrong.Headers.Authorization = Basic(fixture.Main.AccessKeyId, "not-the-secret");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await Http.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, fixture.Node.Endpoint + "/dashboard/");
        right.Headers.Authorization = Basic(fixture.Main.AccessKeyId, fixture.Main.SecretAccessKey);
        var page = await Http.SendAsync(right);
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans Dashboard", await page.Content.ReadAsStringAsync());

        // Its counters come from the silo (refreshed every 2 s).
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var counters = new HttpRequestMessage(HttpMethod.Get, fixture.Node.Endpoint + "/dashboard/DashboardCounters");
            counters.Headers.Authorization = Basic(fixture.Main.AccessKeyId, fixture.Main.SecretAccessKey);
            var json = System.Text.Json.Nodes.JsonNode.Parse(await (await Http.SendAsync(counters)).Content.ReadAsStringAsync());
            if ((int)json!["totalActiveHostCount"]! >= 1) break;
            Assert.True(DateTime.UtcNow < deadline, json.ToJsonString());
            await Task.Delay(500);
        }
    }

    private static System.Net.Http.Headers.AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":" + password)));

    private static IEnumerable<string> Lines(string metrics, string family, string function) =>
        metrics.Split('\n').Where(l => l.StartsWith(family + "{", StringComparison.Ordinal) && l.Contains($"function=\"{function}\""));

    private static double Sum(string metrics, string family, string function) =>
        Lines(metrics, family, function).Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
