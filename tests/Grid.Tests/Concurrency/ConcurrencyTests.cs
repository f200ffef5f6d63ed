using Grid.Tests.Infrastructure;
using Grid.Tests.Invoke;
using Xunit;

namespace Grid.Tests.Concurrency;

/// <summary>An embedded node with a small account: limit 12, at least 2 unreserved, 3 new environments per function per 10 s.</summary>
public sealed class SmallAccountFixture : InvokeFixture
{
    protected override IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string>
    {
        ["Grid__AccountConcurrencyLimit"] = "12",
        ["Grid__MinimumUnreservedConcurrency"] = "2",
        ["Grid__ScalingRatePer10Seconds"] = "3",
    };
}

/// <summary>Reserved, account and provisioned concurrency and the scaling rate, through the real AWS CLI and boto3.</summary>
public sealed class ConcurrencyTests(SmallAccountFixture fixture) : IClassFixture<SmallAccountFixture>
{
    /// <summary>Sleeps for event["ms"] and returns when it ran, so tests can count overlaps.</summary>
    public const string SlowHandler = """
        import os, time
        def handler(event, context):
            start = time.time()
            time.sleep(event.get("ms", 0) / 1000)
            return {"start": start, "end": time.time(), "init": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]}
        """;

    private AwsCli Aws => fixture.Cli;

    private async Task<string> DeployAsync(params string[] extra)
    {
        var name = NodeFixture.UniqueName("conc");
        await fixture.DeployAsAsync(name, Zips.Create(("app.py", SlowHandler)), "python3.11", "app.handler", ["--timeout", "30", .. extra]);
        return name;
    }

    [Fact]
    public async Task Reserved_concurrency_is_set_read_and_removed_with_lambdas_rules()
    {
        var name = await DeployAsync();
        var put = await Aws.OkAsync("lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", "4");
        Assert.Equal(4, (int?)put["ReservedConcurrentExecutions"]);
        Assert.Equal(4, (int?)(await Aws.OkAsync("lambda", "get-function-concurrency", "--function-name", name))["ReservedConcurrentExecutions"]);
        Assert.Equal(4, (int?)(await Aws.OkAsync("lambda", "get-function", "--function-name", name))["Concurrency"]!["ReservedConcurrentExecutions"]);
        var settings = await Aws.OkAsync("lambda", "get-account-settings");
        Assert.Equal(12, (int?)settings["AccountLimit"]!["ConcurrentExecutions"]);
        Assert.Equal(8, (int?)settings["AccountLimit"]!["UnreservedConcurrentExecutions"]);

        var tooMuch = await Aws.FailsAsync("InvalidParameterValueException", "lambda", "put-function-concurrency", "--function-name", name,
            "--reserved-concurrent-executions", "11");
        Assert.Contains("below its minimum value of [2]", tooMuch.ErrorMessage);
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "put-function-concurrency", "--function-name", name + "-missing",
            "--reserved-concurrent-executions", "1");
        await Aws.FailsAsync("InvalidParameterValueException", "lambda", "put-function-concurrency", "--function-name", name + ":1",
            "--reserved-concurrent-executions", "1");

        await Aws.OkAsync("lambda", "delete-function-concurrency", "--function-name", name);
        Assert.Null((await Aws.OkAsync("lambda", "get-function-concurrency", "--function-name", name))["ReservedConcurrentExecutions"]);
        Assert.Equal(12, (int?)(await Aws.OkAsync("lambda", "get-account-settings"))["AccountLimit"]!["UnreservedConcurrentExecutions"]);

        var boto = await fixture.Boto.RunAsync($$"""
            client.put_function_concurrency(FunctionName={{Boto3.Literal(name)}}, ReservedConcurrentExecutions=0)
            zero = error(client.invoke, FunctionName={{Boto3.Literal(name)}}, Payload=b"{}")
            try:
                client.invoke(FunctionName={{Boto3.Literal(name)}}, Payload=b"{}")
            except client.exceptions.TooManyRequestsException as e:
                reason = e.response.get("Reason")
            negative = error(unvalidated.put_function_concurrency, FunctionName={{Boto3.Literal(name)}}, ReservedConcurrentExecutions=-1)
            client.delete_function_concurrency(FunctionName={{Boto3.Literal(name)}})
            out({"zero": zero, "reason": reason, "negative": negative, "after": client.get_function_concurrency(FunctionName={{Boto3.Literal(name)}}).get("ReservedConcurrentExecutions")})
            """);
        Assert.Equal("TooManyRequestsException", (string?)boto!["zero"]!["Code"]);
        Assert.Equal(429, (int)boto["zero"]!["Status"]!);
        Assert.Equal("ReservedFunctionConcurrentInvocationLimitExceeded", (string?)boto["reason"]);
        Assert.Equal("ValidationException", (string?)boto["negative"]!["Code"]);
        Assert.Null(boto["after"]);
    }

    [Fact]
    public async Task Invokes_beyond_the_reservation_get_429_and_the_rest_run_within_it()
    {
        var name = await DeployAsync();
        await Aws.OkAsync("lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", "2");
        var result = await Concurrent(fixture.Boto, name, calls: 6, sleepMs: 1500);
        Assert.Equal(2, (int)result["ok"]!);
        Assert.Equal(4, (int)result["throttled"]!);
        Assert.Equal("ReservedFunctionConcurrentInvocationLimitExceeded", (string?)result["reasons"]![0]);
        Assert.True((int)result["max_overlap"]! <= 2);
        // Slots come back: the next invoke runs.
        Assert.Equal(200, (await Aws.InvokeAsync(name, """{"ms":0}""")).StatusCode);
    }

    [Fact]
    public async Task The_account_limit_throttles_unreserved_functions_but_not_reserved_ones()
    {
        var reserved = await DeployAsync();
        var open = await DeployAsync();
        // 12 in the account, 10 reserved: unreserved functions share 2.
        await Aws.OkAsync("lambda", "put-function-concurrency", "--function-name", reserved, "--reserved-concurrent-executions", "10");
        try
        {
            var result = await Concurrent(fixture.Boto, open, calls: 3, sleepMs: 2500);
            Assert.Equal(2, (int)result["ok"]!);
            Assert.Equal(1, (int)result["throttled"]!);
            Assert.Equal("ConcurrentInvocationLimitExceeded", (string?)result["reasons"]![0]);
            Assert.Equal(200, (await Aws.InvokeAsync(reserved, """{"ms":0}""")).StatusCode);
        }
        finally
        {
            await Aws.OkAsync("lambda", "delete-function-concurrency", "--function-name", reserved);
        }
    }

    [Fact]
    public async Task New_environments_are_started_at_a_bounded_rate()
    {
        var name = await DeployAsync();
        // 3 new environments per 10 s: a burst of 6 cold invokes starts 3 and throttles the rest rather than queueing.
        var result = await Concurrent(fixture.Boto, name, calls: 6, sleepMs: 1500);
        Assert.Equal(3, (int)result["ok"]!);
        Assert.Equal(3, (int)result["throttled"]!);
    }

    [Fact]
    public async Task Provisioned_concurrency_prewarms_environments_that_invokes_use()
    {
        var name = await DeployAsync("--publish");
        await Aws.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1");
        var put = await Aws.OkAsync("lambda", "put-provisioned-concurrency-config", "--function-name", name, "--qualifier", "live",
            "--provisioned-concurrent-executions", "2");
        Assert.Equal("IN_PROGRESS", (string?)put["Status"]);
        Assert.Equal(2, (int?)put["RequestedProvisionedConcurrentExecutions"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$", (string?)put["LastModified"]);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((string?)(await Aws.OkAsync("lambda", "get-provisioned-concurrency-config", "--function-name", name, "--qualifier", "live"))["Status"] != "READY")
        {
            Assert.True(DateTime.UtcNow < deadline, "provisioned concurrency never became READY");
            await Task.Delay(500);
        }
        var ready = await Aws.OkAsync("lambda", "get-provisioned-concurrency-config", "--function-name", name, "--qualifier", "live");
        Assert.Equal(2, (int?)ready["AvailableProvisionedConcurrentExecutions"]);
        Assert.Equal(2, (int?)ready["AllocatedProvisionedConcurrentExecutions"]);

        // Both concurrent invokes land on pre-warmed environments: no cold start in either.
        var both = await fixture.Boto.RunAsync($$"""
            import concurrent.futures
            def call(_):
                r = client.invoke(FunctionName={{Boto3.Literal(name)}}, Qualifier="live", Payload=json.dumps({"ms": 500}), LogType="Tail")
                return {"body": json.loads(r["Payload"].read()), "log": base64.b64decode(r["LogResult"]).decode()}
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                out(list(pool.map(call, range(2))))
            """);
        foreach (var r in both!.AsArray())
        {
            Assert.Equal("provisioned-concurrency", (string?)r!["body"]!["init"]);
            Assert.DoesNotContain("Init Duration", (string?)r["log"]);
        }

        var list = await Aws.OkAsync("lambda", "list-provisioned-concurrency-configs", "--function-name", name);
        var config = Assert.Single(list["ProvisionedConcurrencyConfigs"]!.AsArray());
        Assert.Equal($"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}:live", (string?)config!["FunctionArn"]);

        await Aws.FailsAsync("InvalidParameterValueException", "lambda", "put-provisioned-concurrency-config", "--function-name", name,
            "--qualifier", "$LATEST", "--provisioned-concurrent-executions", "1");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "put-provisioned-concurrency-config", "--function-name", name,
            "--qualifier", "9", "--provisioned-concurrent-executions", "1");
        await Aws.FailsAsync("ProvisionedConcurrencyConfigNotFoundException", "lambda", "get-provisioned-concurrency-config",
            "--function-name", name, "--qualifier", "1");
        await Aws.OkAsync("lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", "3");
        await Aws.FailsAsync("InvalidParameterValueException", "lambda", "put-provisioned-concurrency-config", "--function-name", name,
            "--qualifier", "1", "--provisioned-concurrent-executions", "2");
        await Aws.OkAsync("lambda", "delete-function-concurrency", "--function-name", name);

        var boto = await fixture.Boto.RunAsync($$"""
            client.delete_provisioned_concurrency_config(FunctionName={{Boto3.Literal(name)}}, Qualifier="live")
            out({"gone": error(client.get_provisioned_concurrency_config, FunctionName={{Boto3.Literal(name)}}, Qualifier="live"),
                 "again": error(client.delete_provisioned_concurrency_config, FunctionName={{Boto3.Literal(name)}}, Qualifier="live"),
                 "list": client.list_provisioned_concurrency_configs(FunctionName={{Boto3.Literal(name)}}).get("ProvisionedConcurrencyConfigs", [])})
            """);
        Assert.Equal("ProvisionedConcurrencyConfigNotFoundException", (string?)boto!["gone"]!["Code"]);
        Assert.Equal(404, (int)boto["gone"]!["Status"]!);
        Assert.Equal("ProvisionedConcurrencyConfigNotFoundException", (string?)boto["again"]!["Code"]);
        Assert.Empty(boto["list"]!.AsArray());
    }

    /// <summary>Runs <paramref name="calls"/> invokes at once through boto3; counts successes, 429s and the most that overlapped.</summary>
    public static async Task<System.Text.Json.Nodes.JsonNode> Concurrent(Boto3 boto, string name, int calls, int sleepMs, params string[] endpoints)
    {
        var targets = endpoints.Length == 0 ? "[None]" : "[" + string.Join(",", endpoints.Select(Boto3.Literal)) + "]";
        return (await boto.RunAsync($$"""
            import concurrent.futures
            targets = {{targets}}
            clients = [make_client() if t is None else boto3.client("lambda", endpoint_url=t, region_name="us-east-1",
                aws_access_key_id=CREDS.access_key, aws_secret_access_key=CREDS.secret_key,
                config=Config(retries={"total_max_attempts": 1}, read_timeout=300, max_pool_connections=64)) for t in targets]
            def call(i):
                c = clients[i % len(clients)]
                try:
                    r = c.invoke(FunctionName={{Boto3.Literal(name)}}, Payload=json.dumps({"ms": {{sleepMs}}}))
                    body = json.loads(r["Payload"].read())
                    assert "FunctionError" not in r, body
                    return ("ok", body)
                except c.exceptions.TooManyRequestsException as e:
                    return ("throttled", e.response.get("Reason"))
            with concurrent.futures.ThreadPoolExecutor({{calls}}) as pool:
                results = list(pool.map(call, range({{calls}})))
            spans = [b for k, b in results if k == "ok"]
            events = sorted([(s["start"], 1) for s in spans] + [(s["end"], -1) for s in spans], key=lambda e: (e[0], e[1]))
            running = peak = 0
            for _, delta in events:
                running += delta
                peak = max(peak, running)
            out({"ok": len(spans), "throttled": sum(1 for k, _ in results if k == "throttled"),
                 "reasons": [b for k, b in results if k == "throttled"], "max_overlap": peak})
            """))!;
    }
}

/// <summary>Reserved concurrency holds across a two-node cluster.</summary>
public sealed class ClusterConcurrencyTests(ClusterNodeFixture fixture) : IClassFixture<ClusterNodeFixture>
{
    [Fact]
    public async Task Fifty_concurrent_invokes_over_two_nodes_never_run_more_than_the_reserved_five()
    {
        await using var second = await fixture.StartNodeAsync("node2");
        var name = NodeFixture.UniqueName("reserved");
        await fixture.Cli.OkAsync("lambda", "create-function", "--function-name", name, "--runtime", "python3.11", "--handler", "app.handler",
            "--timeout", "30", "--role", $"arn:aws:iam::{fixture.Main.AccountId}:role/test",
            "--zip-file", Zips.ToFileArgument(Zips.Create(("app.py", ConcurrencyTests.SlowHandler))));
        await fixture.Cli.OkAsync("lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", "5");

        var result = await ConcurrencyTests.Concurrent(fixture.Boto, name, calls: 50, sleepMs: 3000, fixture.Node.Endpoint, second.Endpoint);
        Assert.InRange((int)result["max_overlap"]!, 1, 5);
        Assert.InRange((int)result["ok"]!, 1, 5);
        Assert.Equal(50 - (int)result["ok"]!, (int)result["throttled"]!);
        Assert.All(result["reasons"]!.AsArray(), r => Assert.Equal("ReservedFunctionConcurrentInvocationLimitExceeded", (string?)r));

        // Once they finish, slots a node no longer uses flow back through the account's grain (within a report
        // interval or two), and both nodes admit again.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var again = await ConcurrencyTests.Concurrent(fixture.Boto, name, calls: 4, sleepMs: 0, fixture.Node.Endpoint, second.Endpoint);
            if ((int)again["ok"]! == 4) break;
            Assert.True(DateTime.UtcNow < deadline, "slots did not come back: " + again.ToJsonString());
        }
    }
}
