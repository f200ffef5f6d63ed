using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grid.Tests.Infrastructure;

/// <summary>
/// Runs a Python snippet against a Grid node with Debian's boto3 (/usr/bin/python3). The snippet sees
/// <c>client</c> (a boto3 Lambda client, retries off), <c>unvalidated</c> (the same without client-side checks), <c>out(value)</c> to return JSON to the test,
/// <c>error(fn, ...)</c> that returns a ClientError's code, message and status, and <c>signed(...)</c> for raw
/// SigV4-signed HTTP requests the SDK would never send (bad JSON, odd paths).
/// </summary>
public sealed class Boto3(string endpoint, Credentials credentials)
{
    public const string Python = "/usr/bin/python3";

    private const string Preamble = """
        import base64, json, sys, os, threading, urllib.request, urllib.error
        import boto3, botocore
        from botocore.config import Config
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        ENDPOINT = os.environ["GRID_ENDPOINT"]
        CREDS = Credentials(os.environ["GRID_KEY"], os.environ["GRID_SECRET"])
        def make_client(key=None, secret=None, validate=True):
            return boto3.client("lambda", endpoint_url=ENDPOINT, region_name="us-east-1",
                aws_access_key_id=key or CREDS.access_key, aws_secret_access_key=secret or CREDS.secret_key,
                config=Config(retries={"total_max_attempts": 1}, read_timeout=300, max_pool_connections=64,
                              parameter_validation=validate))
        client = make_client()
        unvalidated = make_client(validate=False)  # sends what the SDK would refuse, to test the server's checks
        def out(value):
            print("\n@@RESULT@@" + json.dumps(value, default=str))
        def error(fn, *args, **kwargs):
            try:
                fn(*args, **kwargs)
            except botocore.exceptions.ClientError as e:
                return {"Code": e.response["Error"]["Code"], "Message": e.response["Error"].get("Message"),
                        "Status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
            raise AssertionError("expected a ClientError")
        def signed(method, path, body=b"", headers=None, creds=None):
            request = AWSRequest(method=method, url=ENDPOINT + path, data=body, headers=headers or {})
            SigV4Auth(creds or CREDS, "lambda", "us-east-1").add_auth(request)
            raw = urllib.request.Request(ENDPOINT + path, data=body if body else None, method=method, headers=dict(request.headers))
            try:
                with urllib.request.urlopen(raw, timeout=120) as r:
                    return {"Status": r.status, "Headers": dict(r.headers), "Body": r.read().decode("utf-8", "replace")}
            except urllib.error.HTTPError as e:
                return {"Status": e.code, "Headers": dict(e.headers), "Body": e.read().decode("utf-8", "replace")}

        """;

    public async Task<JsonNode?> RunAsync(string snippet)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GRID_ENDPOINT"] = endpoint,
            ["GRID_KEY"] = credentials.AccessKeyId,
            ["GRID_SECRET"] = credentials.SecretAccessKey,
            ["AWS_CONFIG_FILE"] = "/nonexistent",
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        };
        var result = await ProcessRunner.RunAsync(Python, ["-"], environment, Preamble + Dedent(snippet), TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0) throw new Xunit.Sdk.XunitException("boto3 snippet failed:\n" + result);
        var marker = result.StandardOutput.LastIndexOf("@@RESULT@@", StringComparison.Ordinal);
        return marker < 0 ? null : JsonNode.Parse(result.StandardOutput[(marker + "@@RESULT@@".Length)..]);
    }

    /// <summary>Escapes a .NET string as a Python string literal.</summary>
    public static string Literal(string value) => JsonSerializer.Serialize(value);

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r", "").Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }
}
