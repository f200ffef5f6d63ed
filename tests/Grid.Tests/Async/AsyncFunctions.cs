using System.Text.Json;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Async;

/// <summary>The test functions: each posts {kind, function, requestId, event} to the CALLBACK url, then succeeds or fails.</summary>
public static class AsyncFunctions
{
    public const string Source = """
        import json, os, time, urllib.request

        def _report(kind, event, context):
            body = json.dumps({"kind": kind, "function": context.function_name, "requestId": context.aws_request_id, "event": event}).encode()
            request = urllib.request.Request(os.environ["CALLBACK"], data=body, method="POST", headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=30).read()

        def ok(event, context):
            _report("ok", event, context)
            if isinstance(event, dict) and event.get("sleep"):
                time.sleep(event["sleep"])
            return {"ok": True, "echo": event}

        def fail(event, context):
            _report("fail", event, context)
            raise ValueError("failing on purpose")
        """;

    public static byte[] Zip => Zips.Create(("app.py", Source));

    /// <summary>Creates a function running app.ok or app.fail that reports to <paramref name="callback"/>; returns its name.</summary>
    public static async Task<string> DeployAsync(AwsCli cli, string callback, string handler = "ok", params string[] extra)
    {
        var name = NodeFixture.UniqueName(handler);
        var environment = JsonSerializer.Serialize(new { Variables = new Dictionary<string, string> { ["CALLBACK"] = callback } });
        await cli.OkAsync(["lambda", "create-function", "--function-name", name, "--runtime", "python3.11", "--handler", "app." + handler,
            "--role", $"arn:aws:iam::{cli.Credentials.AccountId}:role/test", "--zip-file", Zips.ToFileArgument(Zip),
            "--environment", environment, .. extra]);
        return name;
    }

    public static string Arn(string account, string name, string? qualifier = null) =>
        $"arn:aws:lambda:us-east-1:{account}:function:{name}" + (qualifier is null ? "" : ":" + qualifier);
}

/// <summary>An embedded node with 1-second retry backoff and 3-second leases, and a callback listener.</summary>
public class AsyncFixture : EmbeddedNodeFixture
{
    public CallbackListener Listener { get; } = new();

    protected virtual TimeSpan RetryBaseDelay => TimeSpan.FromSeconds(1);

    protected override IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string>
    {
        ["Grid__AsyncRetryBaseDelay"] = RetryBaseDelay.ToString("c"),
        ["Grid__AsyncLeaseDuration"] = "00:00:03",
    };

    public Task<string> DeployAsync(string handler = "ok", params string[] extra) => AsyncFunctions.DeployAsync(Cli, Listener.Url, handler, extra);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Listener.DisposeAsync();
    }
}

/// <summary>Retries wait 65 s: with a 60 s maximum event age the first retry would come too late (EventAgeExceeded).</summary>
public sealed class SlowRetryAsyncFixture : AsyncFixture
{
    protected override TimeSpan RetryBaseDelay => TimeSpan.FromSeconds(65);
}
