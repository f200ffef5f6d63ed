using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Streams;

/// <summary>
/// boto3 Kinesis snippets: on top of <see cref="Boto3"/>'s helpers the snippet sees <c>kinesis</c> (a boto3 Kinesis client,
/// retries off), <c>kinesis_unvalidated</c> (no client-side checks), <c>kinesis_with(secret=...)</c>, and
/// <c>kraw(operation, body_bytes)</c>: a SigV4-signed (service "kinesis") raw call returning status and parsed error/body.
/// </summary>
public static class KinesisPython
{
    private const string Prelude = """
        def kinesis_with(key=None, secret=None, validate=True):
            return boto3.client("kinesis", endpoint_url=ENDPOINT, region_name="us-east-1",
                aws_access_key_id=key or CREDS.access_key, aws_secret_access_key=secret or CREDS.secret_key,
                config=Config(retries={"total_max_attempts": 1}, max_pool_connections=32, parameter_validation=validate))
        kinesis = kinesis_with()
        kinesis_unvalidated = kinesis_with(validate=False)
        def kraw(operation, body, creds=None):
            request = AWSRequest(method="POST", url=ENDPOINT + "/", data=body,
                headers={"X-Amz-Target": "Kinesis_20131202." + operation, "Content-Type": "application/x-amz-json-1.1"})
            SigV4Auth(creds or CREDS, "kinesis", "us-east-1").add_auth(request)
            raw = urllib.request.Request(ENDPOINT + "/", data=body, method="POST", headers=dict(request.headers))
            try:
                with urllib.request.urlopen(raw, timeout=60) as r:
                    return {"Status": r.status, "Body": json.loads(r.read() or b"{}")}
            except urllib.error.HTTPError as e:
                return {"Status": e.code, "Body": json.loads(e.read() or b"{}")}
        def read_shard(stream, shard_id, limit=10000):
            it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            records = []
            while True:
                r = kinesis.get_records(ShardIterator=it, Limit=limit)
                records += r["Records"]
                it = r["NextShardIterator"]
                if not r["Records"]:
                    return records

        """;

    /// <summary>Runs <paramref name="snippet"/> (unindented Python, e.g. a C# raw string) with the Kinesis helpers.</summary>
    public static Task<JsonNode?> KinesisAsync(this Boto3 boto, string snippet) => boto.RunAsync(Prelude + snippet);
}
