using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Grid.Tests.Infrastructure;
using Grid.Tests.Invoke;
using Xunit;

namespace Grid.Tests.Observability;

/// <summary>
/// The files under dashboards/ (Grafana JSON, Prometheus config and alert rules) checked on their own: import-ready
/// dashboards, and what promtool says about the config, the rules and the rules' unit tests.
/// </summary>
public sealed class DashboardFileTests
{
    [Fact]
    public void Dashboards_are_import_ready_grafana_json()
    {
        var dashboards = DashboardFiles.LoadDashboards();
        Assert.Contains(dashboards, d => d.File == "cluster-overview.json");
        Assert.Contains(dashboards, d => d.File == "function.json");
        Assert.Contains(dashboards, d => d.File == "triggers-and-queues.json");

        var uids = new HashSet<string>();
        foreach (var (file, json) in dashboards)
        {
            var title = (string?)json["title"];
            var uid = (string?)json["uid"];
            Assert.False(string.IsNullOrWhiteSpace(title), $"{file}: no title");
            Assert.Matches("^[A-Za-z0-9_-]{1,40}$", uid);
            Assert.True(uids.Add(uid!), $"{file}: uid {uid} is used by another dashboard");
            Assert.InRange((int?)json["schemaVersion"] ?? 0, 36, 41);
            Assert.Null((string?)json["id"]); // Grafana assigns ids on import

            var variables = DashboardFiles.Variables(json).ToList();
            var datasource = Assert.Single(variables, v => (string?)v["name"] == "datasource");
            Assert.Equal("datasource", (string?)datasource["type"]);
            Assert.Equal("prometheus", (string?)datasource["query"]);
            foreach (var variable in variables.Where(v => (string?)v["type"] == "query"))
            {
                Assert.Equal("${datasource}", (string?)variable["datasource"]?["uid"]);
                Assert.StartsWith("label_values(", DashboardFiles.VariableQuery(variable));
            }
            var defined = variables.Select(v => (string)v["name"]!).ToHashSet();

            var panels = DashboardFiles.Panels(json).ToList();
            Assert.True(panels.Count >= 5, $"{file}: only {panels.Count} panels");
            var ids = new HashSet<int>();
            foreach (var panel in panels)
            {
                var where = $"{file}: panel '{(string?)panel["title"]}'";
                Assert.True(ids.Add((int)panel["id"]!), $"{where}: duplicate id");
                var pos = panel["gridPos"]!;
                Assert.True((int)pos["x"]! >= 0 && (int)pos["w"]! > 0 && (int)pos["x"]! + (int)pos["w"]! <= 24, $"{where}: gridPos {pos.ToJsonString()}");
                if ((string?)panel["type"] == "row") continue;

                Assert.False(string.IsNullOrWhiteSpace((string?)panel["title"]), $"{file}: a panel without a title");
                Assert.True((string?)panel["datasource"]?["uid"] == "${datasource}", $"{where}: datasource is not ${{datasource}}");
                var targets = panel["targets"]?.AsArray() ?? [];
                Assert.True(targets.Count > 0, $"{where}: no targets");
                Assert.Equal(targets.Count, targets.Select(t => (string?)t!["refId"]).Distinct().Count());
                foreach (var target in targets)
                {
                    var expr = (string?)target!["expr"];
                    Assert.False(string.IsNullOrWhiteSpace(expr), $"{where}: a target without expr");
                    if (target["datasource"] is { } ds) Assert.Equal("${datasource}", (string?)ds["uid"]);
                    foreach (Match v in DashboardFiles.VariableReference().Matches(expr!))
                    {
                        var name = v.Groups[1].Value;
                        Assert.True(name.StartsWith("__", StringComparison.Ordinal) || defined.Contains(name), $"{where}: ${name} is not a template variable");
                    }
                }
            }
        }

        // Links between the dashboards point at uids that exist, and each dashboard's header links to every other one.
        foreach (var (file, json) in dashboards)
        {
            foreach (Match link in Regex.Matches(json.ToJsonString(), "/d/([A-Za-z0-9_-]+)/"))
            {
                Assert.True(uids.Contains(link.Groups[1].Value), $"{file}: link to unknown dashboard uid {link.Groups[1].Value}");
            }
            var header = (json["links"]?.AsArray() ?? []).Select(l => Regex.Match((string?)l!["url"] ?? "", "^/d/([A-Za-z0-9_-]+)/").Groups[1].Value);
            Assert.Equal(uids.Where(u => u != (string?)json["uid"]).Order(), header.Where(u => u.Length > 0).Order());
        }

        // Streams do not exist yet: no dashboard queries stream or event-source metrics.
        foreach (var (file, json) in dashboards)
        {
            foreach (var (where, expr) in DashboardFiles.Queries(file, json))
            {
                Assert.DoesNotMatch(@"grid_(stream|event_source|esm)", expr);
            }
        }

        // The function dashboard is driven by function and version variables taken from the invocations counter.
        var function = dashboards.Single(d => d.File == "function.json").Json;
        foreach (var name in new[] { "function", "version" })
        {
            var variable = Assert.Single(DashboardFiles.Variables(function), v => (string?)v["name"] == name);
            Assert.Matches(@"^label_values\(grid_invocations_total\b.*, " + name + @"\)$", DashboardFiles.VariableQuery(variable));
        }
    }

    [Fact]
    public async Task Promtool_accepts_the_prometheus_config_and_the_alert_rules()
    {
        var config = await DashboardFiles.PromtoolAsync("check", "config", "prometheus.yml");
        Assert.True(config.ExitCode == 0, config.ToString());
        Assert.Contains("1 rule files found", config.StandardOutput); // rule_files: [alerts.yml] is wired

        var rules = await DashboardFiles.PromtoolAsync("check", "rules", "alerts.yml");
        Assert.True(rules.ExitCode == 0, rules.ToString());
    }

    [Fact]
    public async Task Every_alert_fires_as_its_promtool_unit_test_expects()
    {
        var alerts = Regex.Matches(await File.ReadAllTextAsync(Path.Combine(DashboardFiles.Prometheus, "alerts.yml")), @"(?m)^\s*- alert: (\w+)")
            .Select(m => m.Groups[1].Value).ToList();
        var tests = await File.ReadAllTextAsync(Path.Combine(DashboardFiles.Prometheus, "alerts.test.yml"));
        Assert.NotEmpty(alerts);
        Assert.All(alerts, a => Assert.Matches(@"alertname: " + a + @"\s*\n\s*exp_alerts:\s*\n\s*- exp_labels", tests));

        var result = await DashboardFiles.PromtoolAsync("test", "rules", "alerts.test.yml");
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}

/// <summary>
/// The dashboards and alerts against a real node: every metric and label they use is exported, and a real
/// Prometheus running the shipped prometheus.yml and alerts.yml scrapes the node, evaluates every rule and answers
/// every dashboard query (with the template variables resolved the way Grafana resolves them) with data.
/// </summary>
public sealed class DashboardLiveTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    /// <summary>Series Prometheus itself adds to every scrape.</summary>
    private static readonly HashSet<string> PrometheusSeries = ["up"];

    private static readonly HashSet<string> TargetLabels = ["job", "instance"];

    private async Task<IReadOnlyList<(string Where, string Expr)>> AllQueriesAsync()
    {
        var queries = DashboardFiles.LoadDashboards().SelectMany(d => DashboardFiles.Queries(d.File, d.Json)).ToList();
        queries.AddRange((await fixture.Prometheus.AlertRulesAsync()).Select(r => ($"alerts.yml: {(string)r["name"]!}", (string)r["query"]!)));
        return queries;
    }

    [Fact]
    public async Task Every_metric_the_dashboards_and_alerts_query_is_exported_by_a_node()
    {
        var exported = fixture.Exposition.Keys.ToHashSet();
        var missing = new List<string>();
        var used = new HashSet<string>();
        foreach (var (where, expr) in await AllQueriesAsync())
        {
            var names = PromQl.MetricNames(expr);
            Assert.True(names.Count > 0, $"{where}: no metric found in {expr}");
            foreach (var name in names)
            {
                used.Add(name);
                if (!exported.Contains(name) && !PrometheusSeries.Contains(name)) missing.Add($"{name} ({where})");
            }
        }
        Assert.True(missing.Count == 0, "not exported by the node:\n" + string.Join('\n', missing.Distinct()));
        // The Grid contract is covered: every family of Grid's own meter is on a dashboard or in an alert.
        foreach (var family in new[] { "grid_invocations_total", "grid_invocation_errors_total", "grid_throttles_total", "grid_cold_starts_total",
                     "grid_invocation_duration_seconds_bucket", "grid_init_duration_seconds_bucket", "grid_concurrent_executions", "grid_environments",
                     "grid_async_queue_depth", "grid_async_event_age_seconds_bucket", "grid_async_event_age_seconds_count", "grid_async_dropped_total" })
        {
            Assert.Contains(family, used);
        }
    }

    [Fact]
    public async Task Every_label_the_queries_filter_or_group_by_exists_on_its_metric()
    {
        var problems = new List<string>();
        foreach (var (where, expr) in await AllQueriesAsync())
        {
            var metrics = PromQl.MetricNames(expr);
            foreach (var (metric, label) in PromQl.SelectorLabels(expr))
            {
                if (TargetLabels.Contains(label)) continue;
                if (!fixture.Exposition.TryGetValue(metric, out var labels) || !labels.Contains(label))
                {
                    problems.Add($"{where}: {metric} has no label {label}");
                }
            }
            var all = metrics.SelectMany(m => fixture.Exposition.GetValueOrDefault(m) ?? []).ToHashSet();
            foreach (var label in PromQl.GroupingLabels(expr))
            {
                if (!TargetLabels.Contains(label) && !all.Contains(label)) problems.Add($"{where}: no metric in the query has label {label}");
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems.Distinct()));
    }

    [Fact]
    public async Task Prometheus_with_the_shipped_config_scrapes_the_node_and_evaluates_every_alert()
    {
        var targets = (await fixture.Prometheus.ApiAsync("targets"))["activeTargets"]!.AsArray();
        var target = Assert.Single(targets);
        Assert.Equal("grid", (string?)target!["labels"]!["job"]);
        Assert.Equal("up", (string?)target["health"]);

        var rules = await fixture.Prometheus.AlertRulesAsync();
        Assert.True(rules.Count >= 8, $"{rules.Count} alert rules");
        Assert.Equal(rules.Count, rules.Select(r => (string?)r["name"]).Distinct().Count());
        foreach (var rule in rules)
        {
            var name = (string)rule["name"]!;
            Assert.True((string?)rule["health"] == "ok", $"{name}: {rule["lastError"]}");
            Assert.True((double)rule["duration"]! > 0, $"{name}: no 'for'");
            Assert.Contains((string?)rule["labels"]!["severity"], new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace((string?)rule["annotations"]!["summary"]), $"{name}: no summary");
            Assert.False(string.IsNullOrWhiteSpace((string?)rule["annotations"]!["description"]), $"{name}: no description");
        }
        // The node is up under job="grid": the node-down rules see it and stay quiet.
        Assert.Equal("inactive", (string?)rules.Single(r => (string?)r["name"] == "GridNodeDown")["state"]);
        Assert.Equal("inactive", (string?)rules.Single(r => (string?)r["name"] == "GridNoNodesScraped")["state"]);
    }

    [Fact]
    public async Task Every_dashboard_panel_shows_data_from_a_real_node()
    {
        var problems = new List<string>();
        foreach (var (file, json) in DashboardFiles.LoadDashboards())
        {
            // Template variables in order, as Grafana resolves them: each query runs with the earlier ones substituted.
            var values = new Dictionary<string, string>
            {
                ["__rate_interval"] = "2m", ["__interval"] = "15s", ["__range"] = "5m",
            };
            foreach (var variable in DashboardFiles.Variables(json).Where(v => (string?)v["type"] == "query"))
            {
                var name = (string)variable["name"]!;
                var query = Substitute(DashboardFiles.VariableQuery(variable), values);
                var match = Regex.Match(query, @"^label_values\((.+),\s*(\w+)\)$");
                Assert.True(match.Success, $"{file}: variable {name}: {query}");
                var options = (await fixture.Prometheus.ApiAsync($"label/{match.Groups[2].Value}/values",
                    ("match[]", match.Groups[1].Value), ("start", fixture.Start), ("end", fixture.End))).AsArray().Select(n => (string)n!).ToList();
                Assert.True(options.Count > 0, $"{file}: variable {name} ({query}) has no values");
                string? preferred = name switch { "job" => "grid", "function" => fixture.Function, _ => null };
                if (preferred is not null) Assert.Contains(preferred, options);
                values[name] = (string?)variable["allValue"] ?? preferred ?? options[0];
            }

            foreach (var panel in DashboardFiles.Panels(json).Where(p => (string?)p["type"] != "row"))
            {
                var series = 0;
                var failed = false;
                foreach (var target in panel["targets"]!.AsArray())
                {
                    var expr = Substitute((string)target!["expr"]!, values);
                    try
                    {
                        var result = await fixture.Prometheus.ApiAsync("query", ("query", expr), ("time", fixture.End));
                        series += result["result"]!.AsArray().Count;
                    }
                    catch (Xunit.Sdk.XunitException e)
                    {
                        problems.Add($"{file}: panel '{(string?)panel["title"]}' {(string?)target["refId"]}: {e.Message}");
                        failed = true;
                    }
                }
                if (series == 0 && !failed) problems.Add($"{file}: panel '{(string?)panel["title"]}' has no data");
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, string> values) =>
        DashboardFiles.VariableReference().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v)
            ? v
            : throw new Xunit.Sdk.XunitException($"unresolved variable {m.Value} in {text}"));
}

/// <summary>
/// An embedded node with one python function invoked in two rounds (a success and a ValueError each, a scrape
/// apart, so rates are above zero), a second one with reserved concurrency 0 whose invoke is throttled, and a real
/// Prometheus scraping the node every second with the shipped configuration. Then asynchronous invocation: the first
/// function (no retries) runs a success and a ValueError event, which is given up (retries_exhausted); an event for the
/// throttled function stays queued and is retried with backoff (queue depth at least 1, throttles feeding retries).
/// </summary>
public sealed class DashboardFixture : InvokeFixture
{
    private const string Handler = """
        def handler(event, context):
            if event.get("fail"):
                raise ValueError("failing on purpose for the dashboard tests")
            return {"ok": True}
        """;

    public string Function { get; } = UniqueName("dash");

    /// <summary>Reserved concurrency 0: every invoke is a 429 (and counts in grid_throttles_total).</summary>
    public string Throttled { get; } = UniqueName("dash-throttled");

    /// <summary>Metric name (as sampled, e.g. x_bucket) to the label names it carries, from the node's /metrics.</summary>
    public IReadOnlyDictionary<string, HashSet<string>> Exposition { get; private set; } = new Dictionary<string, HashSet<string>>();

    public PrometheusProcess Prometheus { get; private set; } = null!;

    /// <summary>Unix seconds bracketing the workload: variable look-ups use the range, queries the end.</summary>
    public string Start { get; private set; } = "";
    public string End { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Start = Now();
        Prometheus = await PrometheusProcess.StartAsync(Path.Combine(Root, "prometheus"), Node.Endpoint);
        await DeployAsAsync(Function, Zips.Create(("app.py", Handler)), "python3.11", "app.handler");
        await DeployAsAsync(Throttled, Zips.Create(("app.py", Handler)), "python3.11", "app.handler");
        await Cli.OkAsync("lambda", "put-function-concurrency", "--function-name", Throttled, "--reserved-concurrent-executions", "0");
        await Cli.FailsAsync("TooManyRequestsException", "lambda", "invoke", "--function-name", Throttled, "/dev/null");
        await Prometheus.WaitForScrapesAsync(2);
        for (var round = 0; round < 2; round++)
        {
            var ok = await Cli.InvokeAsync(Function, """{"fail": false}""");
            Assert.Null(ok.FunctionError);
            var failed = await Cli.InvokeAsync(Function, """{"fail": true}""");
            Assert.Equal("Unhandled", failed.FunctionError);
            await Prometheus.WaitForScrapesAsync(2);
        }

        await Cli.OkAsync("lambda", "put-function-event-invoke-config", "--function-name", Function, "--maximum-retry-attempts", "0");
        foreach (var (name, payload) in new[] { (Function, """{"fail": false}"""), (Function, """{"fail": true}"""), (Throttled, "{}") })
        {
            Assert.Equal(202, (await Cli.InvokeAsync(name, payload, "--invocation-type", "Event")).StatusCode);
        }
        await WaitForAsyncMetricsAsync();
        await Prometheus.WaitForScrapesAsync(2);
        End = Now();

        using var http = new HttpClient();
        var text = await http.GetStringAsync(Node.Endpoint + "/metrics");
        Exposition = PromQl.ParseExposition(text);
    }

    /// <summary>
    /// Polls the node's /metrics until the async events have been started (event age counted for both functions), the
    /// failed one given up, and the dispatcher's periodic count (every 5 s) has published the throttled event as queued.
    /// </summary>
    private async Task WaitForAsyncMetricsAsync()
    {
        using var http = new HttpClient();
        var deadline = Stopwatch.StartNew();
        var text = "";
        while (true)
        {
            text = await http.GetStringAsync(Node.Endpoint + "/metrics");
            if (PromQl.SampleValue(text, "grid_async_event_age_seconds_count", $"function=\"{Function}\"") >= 2
                && PromQl.SampleValue(text, "grid_async_event_age_seconds_count", $"function=\"{Throttled}\"") >= 1
                && PromQl.SampleValue(text, "grid_async_dropped_total", $"function=\"{Function}\"", "reason=\"retries_exhausted\"") >= 1
                && PromQl.SampleValue(text, "grid_async_queue_depth") >= 1)
            {
                return;
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(90))
            {
                throw new TimeoutException("async metrics did not appear on /metrics:\n" +
                    string.Join('\n', text.Split('\n').Where(l => l.StartsWith("grid_async_", StringComparison.Ordinal) && !l.Contains("_bucket"))));
            }
            await Task.Delay(250);
        }
    }

    public override async Task DisposeAsync()
    {
        if (Prometheus is not null) await Prometheus.DisposeAsync();
        await base.DisposeAsync();
    }

    private static string Now() => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
}

/// <summary>
/// /usr/bin/prometheus (Debian's prometheus package) with dashboards/prometheus/prometheus.yml and alerts.yml,
/// changed only to scrape and evaluate every second and to scrape one node instead of the example list.
/// </summary>
public sealed class PrometheusProcess : IAsyncDisposable
{
    public const string Executable = "/usr/bin/prometheus";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PrometheusProcess(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static async Task<PrometheusProcess> StartAsync(string directory, string nodeEndpoint)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} not found: install the Debian package prometheus (tests/run.sh does)");
        }
        Directory.CreateDirectory(directory);
        var config = await File.ReadAllTextAsync(Path.Combine(DashboardFiles.Prometheus, "prometheus.yml"));
        config = ReplaceOnce(config, @"(?m)^(\s*scrape_interval:) \S+", "$1 1s");
        config = ReplaceOnce(config, @"(?m)^(\s*evaluation_interval:) \S+", "$1 1s");
        config = ReplaceOnce(config, @"(?m)^(\s*- targets:) \[[^\]]*\]", $"$1 [\"{new Uri(nodeEndpoint).Authority}\"]");
        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), config);
        File.Copy(Path.Combine(DashboardFiles.Prometheus, "alerts.yml"), Path.Combine(directory, "alerts.yml"));

        var port = FreePort.Next();
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var a in new[] { "--config.file=prometheus.yml", "--storage.tsdb.path=data", $"--web.listen-address=127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(a);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start prometheus");
        var prometheus = new PrometheusProcess(process, $"http://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => prometheus.Append(e.Data);
        process.ErrorDataReceived += (_, e) => prometheus.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"prometheus exited with {process.ExitCode}:\n{prometheus.Output}");
            try
            {
                using var ready = await Http.GetAsync(prometheus.Endpoint + "/-/ready");
                if (ready.IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) { }
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"prometheus not ready:\n{prometheus.Output}");
            await Task.Delay(100);
        }
        await prometheus.WaitForScrapesAsync(1);
        return prometheus;
    }

    private static string ReplaceOnce(string text, string pattern, string replacement)
    {
        var count = Regex.Count(text, pattern);
        if (count != 1) throw new InvalidOperationException($"prometheus.yml: expected one match of {pattern}, found {count}");
        return Regex.Replace(text, pattern, replacement);
    }

    /// <summary>The data of a successful /api/v1 call (query parameters are URL-encoded).</summary>
    public async Task<JsonNode> ApiAsync(string path, params (string Name, string Value)[] query)
    {
        var url = $"{Endpoint}/api/v1/{path}" + (query.Length == 0 ? "" : "?" + string.Join('&',
            query.Select(q => $"{Uri.EscapeDataString(q.Name)}={Uri.EscapeDataString(q.Value)}")));
        using var response = await Http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(body)!;
        if (!response.IsSuccessStatusCode || (string?)json["status"] != "success")
        {
            throw new Xunit.Sdk.XunitException($"prometheus /api/v1/{path} {string.Join(' ', query.Select(q => q.Value))}: {body}");
        }
        return json["data"]!;
    }

    /// <summary>Alerting rules as Prometheus loaded them: name, query, duration, labels, annotations, health, state.</summary>
    public async Task<List<JsonNode>> AlertRulesAsync() =>
        (await ApiAsync("rules", ("type", "alert")))["groups"]!.AsArray()
            .SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!).ToList();

    /// <summary>Waits until the grid target has been scraped successfully <paramref name="count"/> more times.</summary>
    public async Task WaitForScrapesAsync(int count)
    {
        async Task<int> ScrapesAsync()
        {
            var result = (await ApiAsync("query", ("query", "sum(count_over_time(up{job=\"grid\"}[1h]))")))["result"]!.AsArray();
            return result.Count == 0 ? 0 : int.Parse((string)result[0]!["value"]![1]!, CultureInfo.InvariantCulture);
        }

        var target = await ScrapesAsync() + count;
        var deadline = Stopwatch.StartNew();
        while (await ScrapesAsync() < target)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"prometheus did not scrape the node:\n{Output}");
            await Task.Delay(200);
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Length > 200_000) _output.Remove(0, 100_000);
            _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>Where the dashboards live and how to read them.</summary>
public static partial class DashboardFiles
{
    public const string Promtool = "/usr/bin/promtool";

    public static string Root => Path.Combine(RepoPaths.Root, "dashboards");
    public static string Grafana => Path.Combine(Root, "grafana");
    public static string Prometheus => Path.Combine(Root, "prometheus");

    public static IReadOnlyList<(string File, JsonObject Json)> LoadDashboards() =>
        Directory.EnumerateFiles(Grafana, "*.json").Order()
            .Select(f => (Path.GetFileName(f), JsonNode.Parse(File.ReadAllText(f))!.AsObject())).ToList();

    /// <summary>Every panel, including those nested in collapsed rows; rows themselves too.</summary>
    public static IEnumerable<JsonObject> Panels(JsonObject dashboard)
    {
        foreach (var panel in dashboard["panels"]!.AsArray().Select(p => p!.AsObject()))
        {
            yield return panel;
            foreach (var nested in panel["panels"]?.AsArray() ?? []) yield return nested!.AsObject();
        }
    }

    public static IEnumerable<JsonObject> Variables(JsonObject dashboard) =>
        (dashboard["templating"]?["list"]?.AsArray() ?? []).Select(v => v!.AsObject());

    /// <summary>A query variable's query: a string, or {query: ...} as Grafana 10+ saves it.</summary>
    public static string VariableQuery(JsonObject variable) =>
        variable["query"] is JsonObject q ? (string)q["query"]! : (string)variable["query"]!;

    /// <summary>Every PromQL text of a dashboard: panel targets and query variables.</summary>
    public static IEnumerable<(string Where, string Expr)> Queries(string file, JsonObject dashboard)
    {
        foreach (var panel in Panels(dashboard))
        {
            foreach (var target in panel["targets"]?.AsArray() ?? [])
            {
                yield return ($"{file}: panel '{(string?)panel["title"]}' {(string?)target!["refId"]}", (string)target["expr"]!);
            }
        }
        foreach (var variable in Variables(dashboard).Where(v => (string?)v["type"] == "query"))
        {
            yield return ($"{file}: variable {(string?)variable["name"]}", VariableQuery(variable));
        }
    }

    /// <summary>$name, ${name} and ${name:format} references to Grafana variables.</summary>
    [GeneratedRegex(@"\$\{?(\w+)(?::\w+)?\}?")]
    public static partial Regex VariableReference();

    /// <summary>Runs promtool in dashboards/prometheus; fails the test when promtool is not installed.</summary>
    public static async Task<ProcessResult> PromtoolAsync(params string[] arguments)
    {
        if (!File.Exists(Promtool)) Assert.Fail($"{Promtool} not found: install the Debian package prometheus (tests/run.sh does)");
        return await ProcessRunner.RunAsync(Promtool, arguments, workingDirectory: Prometheus, timeout: TimeSpan.FromMinutes(1));
    }
}

/// <summary>Just enough PromQL reading to find the metrics and labels a query depends on.</summary>
public static partial class PromQl
{
    /// <summary>Functions, aggregations, keywords and Grafana's label_values: identifiers that are not metric names.</summary>
    private static readonly HashSet<string> NotMetrics =
    [
        "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time", "ceil", "changes",
        "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month", "day_of_week", "day_of_year",
        "days_in_month", "deg", "delta", "deriv", "exp", "floor", "histogram_count", "histogram_fraction", "histogram_quantile",
        "histogram_sum", "holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace", "last_over_time", "ln",
        "log10", "log2", "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear", "present_over_time",
        "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt",
        "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "atan2",
        "inf", "nan", "le", "label_values", "label_names", "metrics", "query_result",
    ];

    /// <summary>The metric names a query reads (bare, with a selector, a range, or as label_values' argument).</summary>
    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var s = StringLiteral().Replace(expr, "\"\"");
        s = DashboardFiles.VariableReference().Replace(s, " ");
        s = Braces().Replace(s, "{}");
        s = Brackets().Replace(s, "[]");
        s = Grouping().Replace(s, "$1()");
        s = LabelValuesLabel().Replace(s, "label_values($1)");
        s = Offset().Replace(s, " ");
        return Identifier().Matches(s).Select(m => m.Value).Where(n => !NotMetrics.Contains(n)).ToHashSet();
    }

    /// <summary>(metric, label) for every label matcher of a selector, and label_values' label.</summary>
    public static IEnumerable<(string Metric, string Label)> SelectorLabels(string expr)
    {
        var s = StringLiteral().Replace(expr, "\"\"");
        foreach (Match selector in Selector().Matches(s))
        {
            foreach (Match matcher in Matcher().Matches(selector.Groups[2].Value))
            {
                yield return (selector.Groups[1].Value, matcher.Groups[1].Value);
            }
        }
        foreach (Match m in LabelValuesCall().Matches(s)) yield return (m.Groups[1].Value, m.Groups[2].Value);
    }

    /// <summary>Labels in by/without/on/ignoring lists.</summary>
    public static IEnumerable<string> GroupingLabels(string expr) =>
        Grouping().Matches(StringLiteral().Replace(expr, "\"\""))
            .SelectMany(m => m.Value[(m.Value.IndexOf('(') + 1)..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>
    /// The sum of the samples named <paramref name="name"/> whose labels contain every one of <paramref name="labels"/>
    /// (e.g. <c>function="f"</c>) in Prometheus text; null when there is none.
    /// </summary>
    public static double? SampleValue(string text, string name, params string[] labels)
    {
        double? sum = null;
        foreach (var line in text.Split('\n'))
        {
            var sample = Sample().Match(line);
            if (!sample.Success || sample.Groups[1].Value != name || !labels.All(l => sample.Groups[2].Value.Contains(l, StringComparison.Ordinal))) continue;
            var value = line[(sample.Groups[2].Success ? line.LastIndexOf('}') + 1 : name.Length)..].Trim().Split(' ')[0];
            sum = (sum ?? 0) + double.Parse(value, CultureInfo.InvariantCulture);
        }
        return sum;
    }

    /// <summary>Prometheus text format: sample name to the label names seen on it.</summary>
    public static Dictionary<string, HashSet<string>> ParseExposition(string text)
    {
        var result = new Dictionary<string, HashSet<string>>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var sample = Sample().Match(line);
            if (!sample.Success) continue;
            if (!result.TryGetValue(sample.Groups[1].Value, out var labels)) result[sample.Groups[1].Value] = labels = [];
            foreach (Match pair in LabelPair().Matches(sample.Groups[2].Value)) labels.Add(pair.Groups[1].Value);
        }
        return result;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"label_values\(\s*([^,()]*?)\s*,\s*\w+\s*\)")]
    private static partial Regex LabelValuesLabel();

    [GeneratedRegex(@"label_values\(\s*([A-Za-z_:][\w:]*)\s*(?:\{[^{}]*\})?\s*,\s*(\w+)\s*\)")]
    private static partial Regex LabelValuesCall();

    [GeneratedRegex(@"\boffset\s+-?\w+")]
    private static partial Regex Offset();

    [GeneratedRegex(@"(?<![\w.:])[A-Za-z_:][\w:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"([A-Za-z_:][\w:]*)\s*\{([^{}]*)\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")]
    private static partial Regex Matcher();

    [GeneratedRegex(@"^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+\S+")]
    private static partial Regex Sample();

    [GeneratedRegex("(\\w+)=\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex LabelPair();
}
