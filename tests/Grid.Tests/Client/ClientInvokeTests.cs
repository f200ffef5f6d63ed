using System.Collections.Concurrent;
using System.Text;
using Grid.Client;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Client;

/// <summary>Invoke through the .NET SDK against a real node: typed, raw, event, function errors, throttles, timeouts, cancellation, auth.</summary>
public sealed class ClientInvokeTests(ClientFixture fixture) : IClassFixture<ClientFixture>
{
    private GridClient Client => fixture.Client;

    public sealed record Order(string Item, int Quantity, string[] Tags);

    public sealed record Env(string? Stage);

    [Fact]
    public async Task Deploying_a_folder_reports_progress_and_a_typed_invoke_round_trips()
    {
        var progress = new ConcurrentQueue<DeployProgress>();
        var name = NodeFixture.UniqueName("sdk-py");
        var request = new DeployRequest
        {
            FunctionName = name,
            Directory = Path.Combine(RepoPaths.Functions, "python"),
            Runtime = "python3.11",
            Handler = "app.echo",
            MemorySize = 192,
        };
        var created = await Client.DeployAsync(request, new SyncProgress(progress.Enqueue));
        Assert.Equal(name, created.FunctionName);
        Assert.Equal(192, created.MemorySize);
        Assert.Equal("Successful", created.LastUpdateStatus);
        var stages = progress.Select(p => p.Stage).Distinct().ToList();
        Assert.Equal(["zipping", "uploading", "configuring", "done"], stages);
        var uploaded = progress.Last(p => p.Stage == "uploading");
        Assert.Equal(uploaded.BytesTotal, uploaded.BytesDone);
        Assert.True(uploaded.BytesTotal > created.CodeSize); // base64 in JSON

        var order = new Order("tea", 3, ["green", "loose"]);
        var echoed = await Client.InvokeAsync<Order, Order>(name, order);
        Assert.Equal(order.Item, echoed!.Item);
        Assert.Equal(order.Tags, echoed.Tags);
        var raw = await Client.InvokeRawAsync(name, Encoding.UTF8.GetBytes("""{"item":"tea"}"""));
        Assert.Equal("tea", System.Text.Json.Nodes.JsonNode.Parse(raw.Payload.Span)!["item"]!.GetValue<string>());

        // Deploying again updates code then configuration; the same folder zips to the same CodeSha256.
        request.Handler = "app.env";
        request.Environment = new Dictionary<string, string> { ["STAGE"] = "sdk" };
        var updated = await Client.DeployAsync(request);
        Assert.Equal(created.CodeSha256, updated.CodeSha256);
        Assert.Equal("app.env", updated.Handler);
        Assert.Equal("sdk", updated.Environment!["STAGE"]);
        var env = await Client.InvokeAsync<object, Dictionary<string, string?>>(name, new { names = new[] { "STAGE" } });
        Assert.Equal("sdk", env!["STAGE"]);
    }

    [Fact]
    public async Task Raw_invoke_of_a_node_function_returns_bytes_headers_and_the_log_tail()
    {
        var name = await fixture.DeployAsync("node-cjs", "nodejs20.x", "index.log");
        var result = await Client.InvokeRawAsync(name, """{"marker":"raw-7"}"""u8.ToArray(), new InvokeOptions { TailLogs = true, Qualifier = "$LATEST" });
        Assert.Equal(200, result.StatusCode);
        Assert.Null(result.FunctionError);
        Assert.Equal("$LATEST", result.ExecutedVersion);
        Assert.Equal("\"logged\"", result.PayloadText);
        Assert.Matches("^[0-9a-f-]{36}$", result.RequestId);
        Assert.Contains("hello from node raw-7", result.LogTail);
        Assert.Contains("REPORT RequestId: " + result.RequestId, result.LogTail);

        var context = await fixture.DeployAsync("node-cjs", "nodejs20.x", "index.context");
        var seen = await Client.InvokeAsync<object, Dictionary<string, object?>>(context, new { },
            new InvokeOptions { ClientContextJson = """{"custom":{"tenant":"blue"}}""" });
        Assert.Equal("{\"tenant\":\"blue\"}", seen!["clientContext"]!.ToString());
    }

    [Fact]
    public async Task Event_invoke_returns_a_request_id_and_the_function_runs()
    {
        var name = await fixture.DeployPythonAsync("log");
        var marker = Guid.NewGuid().ToString("N");
        var requestId = await Client.InvokeEventAsync(name, new { marker });
        Assert.Matches("^[0-9a-f-]{36}$", requestId);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var record in Client.GetLogsAsync(name, new LogQuery { Follow = true, RequestId = requestId }, timeout.Token))
        {
            Assert.Equal(requestId, record.RequestId);
            Assert.Contains("hello from the log " + marker, record.Message);
            break;
        }
        var stored = await Client.GetLogsAsync(name, new LogQuery { RequestId = requestId }).ToListAsync();
        Assert.Single(stored);
        Assert.True(stored[0].Timestamp > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task A_failing_function_throws_FunctionErrorException_from_typed_invoke_but_not_from_raw()
    {
        var name = await fixture.DeployPythonAsync("fail");
        var error = await Assert.ThrowsAsync<FunctionErrorException>(() =>
            Client.InvokeAsync<object, object>(name, new { }, new InvokeOptions { TailLogs = true }));
        Assert.Equal("Unhandled", error.FunctionError);
        Assert.Equal("ValueError", error.ErrorType);
        Assert.Equal("handler failed on purpose", error.ErrorMessage);
        Assert.NotEmpty(error.StackTrace!);
        Assert.Contains("ValueError: handler failed on purpose", error.Message);
        Assert.Contains(error.RequestId, error.Message);
        Assert.Contains("Status: error", error.LogTail);

        var raw = await Client.InvokeRawAsync(name, "{}"u8.ToArray());
        Assert.Equal("Unhandled", raw.FunctionError);
        using var document = System.Text.Json.JsonDocument.Parse(raw.Payload);
        Assert.Equal("ValueError", document.RootElement.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task Throttled_invokes_are_retried_then_raise_GridThrottledException()
    {
        var name = await fixture.DeployPythonAsync("echo");
        await Client.SetReservedConcurrencyAsync(name, 0);
        Assert.Equal(0, await Client.GetReservedConcurrencyAsync(name));
        var counter = new CountingHandler();
        using var http = new HttpClient(counter) { Timeout = Timeout.InfiniteTimeSpan };
        var client = new GridClient(http, fixture.Options(o => o.MaxThrottleRetries = 2));

        var error = await Assert.ThrowsAsync<GridThrottledException>(() => client.InvokeAsync<object, object>(name, new { }));
        Assert.Equal(3, counter.Count); // the first attempt and two retries
        Assert.Equal(3, error.Attempts);
        Assert.Equal(429, error.StatusCode);
        Assert.Equal("TooManyRequestsException", error.ErrorType);
        Assert.Equal("ReservedFunctionConcurrentInvocationLimitExceeded", error.Reason);
        Assert.Contains("throttled", error.Message);

        var noRetry = new GridClient(http, fixture.Options(o => o.MaxThrottleRetries = 0));
        await Assert.ThrowsAsync<GridThrottledException>(() => noRetry.InvokeRawAsync(name, "{}"u8.ToArray()));
        Assert.Equal(4, counter.Count);

        await Client.DeleteReservedConcurrencyAsync(name);
        Assert.Null(await Client.GetReservedConcurrencyAsync(name));
        Assert.Equal("{}", (await client.InvokeRawAsync(name, "{}"u8.ToArray())).PayloadText);
    }

    [Fact]
    public async Task A_call_longer_than_the_timeout_raises_TimeoutException_and_cancellation_propagates()
    {
        var name = await fixture.DeployPythonAsync("whoami", r => r.Timeout = 20);
        var counter = new CountingHandler();
        using var http = new HttpClient(counter) { Timeout = Timeout.InfiniteTimeSpan };
        var client = new GridClient(http, fixture.Options(o => o.Timeout = TimeSpan.FromSeconds(1)));
        await client.InvokeRawAsync(name, "{}"u8.ToArray(), new InvokeOptions { Timeout = TimeSpan.FromSeconds(30) }); // warm, within its own timeout

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => client.InvokeAsync<object, object>(name, new { sleep = 4 }));
        Assert.Contains($"Invoke of '{name}' did not complete within 00:00:01", timeout.Message);
        Assert.Equal(2, counter.Count); // a timed-out invoke is not retried

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Client.InvokeAsync<object, object>(name, new { sleep = 4 }, cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task Missing_functions_and_bad_credentials_raise_typed_exceptions_with_advice()
    {
        var missing = NodeFixture.UniqueName("missing");
        var notFound = await Assert.ThrowsAsync<GridNotFoundException>(() => Client.InvokeRawAsync(missing, "{}"u8.ToArray()));
        Assert.Equal(404, notFound.StatusCode);
        Assert.Equal("ResourceNotFoundException", notFound.ErrorType);
        Assert.Contains($"Function '{missing}' was not found at {fixture.Node.Endpoint}", notFound.Message);
        Assert.Contains("grid deploy", notFound.Message);
        Assert.NotNull(notFound.RequestId);
        await Assert.ThrowsAsync<GridNotFoundException>(() => Client.GetFunctionAsync(missing));

        using var unknownKey = new GridClient(fixture.Options(o => o.AccessKeyId = "AKIDUNKNOWN000000000"));
        var unrecognized = await Assert.ThrowsAsync<GridException>(() => unknownKey.InvokeRawAsync(missing, "{}"u8.ToArray()));
        Assert.Equal("UnrecognizedClientException", unrecognized.ErrorType);
        Assert.Equal(403, unrecognized.StatusCode);
        Assert.Contains("AKIDUNKNOWN000000000", unrecognized.Message);

        using var wrongSecret = new GridClient(fixture.Options(o => o.SecretAccessKey = "not-the-secret"));
        var signature = await Assert.ThrowsAsync<GridException>(() => wrongSecret.GetAccountSettingsAsync());
        Assert.Equal("InvalidSignatureException", signature.ErrorType);
        Assert.Contains("secret access key", signature.Message);

        using var nowhere = new GridClient(fixture.Options(o => o.Endpoint = new Uri($"http://127.0.0.1:{FreePort.Next()}")));
        var unreachable = await Assert.ThrowsAsync<GridException>(() => nowhere.InvokeRawAsync("x", "{}"u8.ToArray()));
        Assert.Equal("ConnectionFailed", unreachable.ErrorType);
        Assert.Contains("could not reach", unreachable.Message);
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool, so a test could read before the last report).</summary>
    private sealed class SyncProgress(Action<DeployProgress> report) : IProgress<DeployProgress>
    {
        public void Report(DeployProgress value) => report(value);
    }
}
