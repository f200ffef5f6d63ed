using Grid.Tests.Infrastructure;

namespace Grid.Tests.Async;

/// <summary>The test functions: each posts {kind, function, requestId, event} to the CALLBACK url, then succeeds or fails.</summary>
public static class AsyncFunctions
{
    /// <summary>
    /// Python that defines <c>_report(kind, event, context)</c>: posts {kind, function, requestId, event} to the CALLBACK url
    /// (a <see cref="CallbackListener"/>). Other folders' test functions start their source with it.
    /// </summary>
    public const string Report = """
        import json, os, urllib.request

        def _report(kind, event, context):
            body = json.dumps({"kind": kind, "function": context.function_name, "requestId": context.aws_request_id, "event": event}).encode()
            request = urllib.request.Request(os.environ["CALLBACK"], data=body, method="POST", headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=30).read()

        """;

    public const string Source = Report + """
        import time

        def ok(event, context):
            _report("ok", event, context)
            if isinstance(event, dict) and event.get("sleep"):
                time.sleep(event["sleep"])
            return {"ok": True, "echo": event}

        def fail(event, context):
            _report("fail", event, context)
            raise ValueError("failing on purpose")
        """;

    /// <summary>Creates a function running app.ok or app.fail that reports to <paramref name="callback"/>; returns its name.</summary>
    public static Task<string> DeployAsync(AwsCli cli, string callback, string handler = "ok", params string[] extra) =>
        DeployReportingAsync(cli, callback, Source, handler, extra);

    /// <summary>
    /// Creates a function running app.<paramref name="handler"/> of <paramref name="source"/> (built on <see cref="Report"/>)
    /// with CALLBACK set to <paramref name="callback"/>; returns its name.
    /// </summary>
    public static Task<string> DeployReportingAsync(AwsCli cli, string callback, string source, string handler, params string[] extra) =>
        PythonFunction.CreateAsync(cli, handler.TrimEnd('_'), source, handler, new Dictionary<string, string> { ["CALLBACK"] = callback }, extra);

    public static string Arn(string account, string name, string? qualifier = null) =>
        $"arn:aws:lambda:us-east-1:{account}:function:{name}" + (qualifier is null ? "" : ":" + qualifier);
}

/// <summary>An embedded node with 1-second retry backoff and 3-second leases, and a callback listener.</summary>
public class AsyncFixture : EmbeddedNodeFixture
{
    public AsyncFixture() => Listener = Own(new CallbackListener());

    public CallbackListener Listener { get; }

    protected virtual TimeSpan RetryBaseDelay => TimeSpan.FromSeconds(1);

    protected override IReadOnlyDictionary<string, string> NodeEnvironment => Settings(RetryBaseDelay);

    /// <summary>The node settings of the async tests: retries after <paramref name="retryBaseDelay"/>, and 3-second leases so a dead node's events are taken over soon.</summary>
    public static Dictionary<string, string> Settings(TimeSpan retryBaseDelay) => new()
    {
        ["Grid__AsyncRetryBaseDelay"] = retryBaseDelay.ToString("c"),
        ["Grid__AsyncLeaseDuration"] = "00:00:03",
    };

    public Task<string> DeployAsync(string handler = "ok", params string[] extra) => AsyncFunctions.DeployAsync(Cli, Listener.Url, handler, extra);
}

/// <summary>Retries wait 65 s: with a 60 s maximum event age the first retry would come too late (EventAgeExceeded).</summary>
public sealed class SlowRetryAsyncFixture : AsyncFixture
{
    protected override TimeSpan RetryBaseDelay => TimeSpan.FromSeconds(65);
}
