using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Versions;

/// <summary>
/// A python function whose code carries a marker, so a test can tell which published version ran, and helpers to
/// create it, publish versions of it and wait for a bounded change.
/// </summary>
public static class VersionedFunction
{
    private static readonly ConcurrentDictionary<string, byte[]> Packages = new();

    /// <summary>
    /// A package whose handler returns its marker and what the runtime told it about the invoke. The same marker
    /// always gives the same bytes (a zip records entry times), so tests can compare CodeSha256.
    /// </summary>
    public static byte[] Code(string marker) => Packages.GetOrAdd(marker, Build);

    private static byte[] Build(string marker) => Zips.Create(("app.py", $$"""
        import os
        import uuid

        MARKER = "{{marker}}"
        ENVIRONMENT = str(uuid.uuid4())


        def handler(event, context):
            return {
                "marker": MARKER,
                "version": context.function_version,
                "arn": context.invoked_function_arn,
                "env_version": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION"),
                "stage": os.environ.get("STAGE"),
                "environment": ENVIRONMENT,
            }
        """));

    public static string Arn(NodeFixture fixture, string name) =>
        $"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}";

    public static Task<JsonNode> CreateAsync(NodeFixture fixture, string name, string marker, params string[] extra) =>
        CreateAsync(fixture.Cli, fixture.Main.AccountId, name, Code(marker), extra);

    public static async Task<JsonNode> CreateAsync(AwsCli cli, string account, string name, byte[] zip, params string[] extra) =>
        await cli.OkAsync(["lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", "app.handler", "--role", $"arn:aws:iam::{account}:role/test",
            "--zip-file", Zips.ToFileArgument(zip), .. extra]);

    /// <summary>Replaces $LATEST's code with the given marker and publishes it; returns the new version number.</summary>
    public static async Task<string> PublishAsync(AwsCli cli, string name, string marker)
    {
        await cli.OkAsync("lambda", "update-function-code", "--function-name", name, "--zip-file", Zips.ToFileArgument(Code(marker)));
        var published = await cli.OkAsync("lambda", "publish-version", "--function-name", name);
        return (string)published["Version"]!;
    }

    /// <summary>A function with version 1 (marker v1) and version 2 (marker v2); $LATEST holds v2's code.</summary>
    public static async Task<string> CreateWithTwoVersionsAsync(NodeFixture fixture, string prefix)
    {
        var name = NodeFixture.UniqueName(prefix);
        await CreateAsync(fixture, name, "v1");
        var first = await fixture.Cli.OkAsync("lambda", "publish-version", "--function-name", name);
        if ((string?)first["Version"] != "1") throw new Xunit.Sdk.XunitException("first publish returned " + first.ToJsonString());
        var second = await PublishAsync(fixture.Cli, name, "v2");
        if (second != "2") throw new Xunit.Sdk.XunitException("second publish returned version " + second);
        return name;
    }

    /// <summary>Repeats an action until its result satisfies the condition or the bound passes; returns the last result.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> action, Func<T, bool> done, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await action();
            if (done(value) || clock.Elapsed > within) return value;
            await Task.Delay(100);
        }
    }

    /// <summary>The version numbers a list-versions-by-function answer holds, in order.</summary>
    public static List<string> Versions(JsonNode listed) =>
        listed["Versions"]!.AsArray().Select(v => (string)v!["Version"]!).ToList();
}
