using Grid.Tests.Infrastructure;

namespace Grid.Tests.StreamDelivery;

/// <summary>The Kinesis handler of these tests: reports each batch's records (sequence number, key, data) to a <see cref="RecordSink"/>.</summary>
public static class DeliveryFunctions
{
    public const string Source = """
        import base64, json, os, time, urllib.request

        SINK = os.environ["SINK"]

        def handler(event, context):
            now = time.time()
            records = [[r["kinesis"]["sequenceNumber"], r["kinesis"]["partitionKey"], base64.b64decode(r["kinesis"]["data"]).decode()]
                       for r in event["Records"]]
            body = json.dumps({"t": now, "r": records}).encode()
            urllib.request.urlopen(urllib.request.Request(SINK, data=body, method="POST"), timeout=60).read()
            return {}
        """;

    public static Task<string> DeployAsync(AwsCli cli, string sinkUrl) =>
        PythonFunction.CreateAsync(cli, "kin", Source, "handler", new Dictionary<string, string> { ["SINK"] = sinkUrl }, "--timeout", "60");
}
