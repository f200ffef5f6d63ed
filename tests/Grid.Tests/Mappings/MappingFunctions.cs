using System.Text.Json.Nodes;
using Grid.Tests.Async;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Mappings;

/// <summary>
/// The Kinesis handlers of the mapping tests. Each posts {kind, function, requestId, event} to CALLBACK (a
/// <see cref="CallbackListener"/>) and then, by handler:
/// <c>app.raise</c> raises when a record's data contains "poison" or is "fail-until:&lt;epoch&gt;" with the time not yet reached;
/// <c>app.partial</c> reports the "poison" records as batchItemFailures; <c>app.ok</c> succeeds (an on-failure destination).
/// </summary>
public static class MappingFunctions
{
    public const string Source = AsyncFunctions.Report + """
        import base64, time

        def _data(record):
            return base64.b64decode(record["kinesis"]["data"]).decode()

        def _failing(record):
            data = _data(record)
            return "poison" in data or (data.startswith("fail-until:") and time.time() < float(data.split(":")[1]))

        def raise_(event, context):
            failing = any(_failing(r) for r in event["Records"])
            _report("fail" if failing else "ok", event, context)
            if failing:
                raise ValueError("a poison record")
            return {}

        def partial(event, context):
            failures = [{"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in event["Records"] if _failing(r)]
            _report("partial" if failures else "ok", event, context)
            return {"batchItemFailures": failures}

        def ok(event, context):
            _report("ok", event, context)
            return {}
        """;

    /// <summary>Creates a function with the given handler (raise_, partial, ok); returns its name.</summary>
    public static Task<string> DeployAsync(AwsCli cli, string callback, string handler) =>
        AsyncFunctions.DeployReportingAsync(cli, callback, Source, handler, "--timeout", "30");

    public static string FunctionArn(string account, string name) => $"arn:aws:lambda:us-east-1:{account}:function:{name}";

    /// <summary>The data strings of the records of one reported invocation, in order.</summary>
    public static List<string> Data(CallbackListener.Report report) =>
        [.. report.Event!["Records"]!.AsArray().Select(r => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)r!["kinesis"]!["data"]!)))];

    public static List<string> Sequences(CallbackListener.Report report) =>
        [.. report.Event!["Records"]!.AsArray().Select(r => (string)r!["kinesis"]!["sequenceNumber"]!)];

    /// <summary>Every record data string the function saw in successful invocations.</summary>
    public static HashSet<string> Succeeded(IEnumerable<CallbackListener.Report> reports) =>
        [.. reports.Where(r => r.Kind == "ok").SelectMany(Data)];

    public static JsonNode Record(CallbackListener.Report report, int index) => report.Event!["Records"]![index]!;
}
