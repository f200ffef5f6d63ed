using System.Text;
using System.Text.Json;
using Grid.Server.Control;
using Grid.Server.Execution;
using Grid.Server.Hosting;
using Grid.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>
/// Invoke (API 2015-03-31): the hot path. Function records come from the node-local cache (no database; aliases split traffic there),
/// the call goes to a local executor activation, and the runtime's bytes go back verbatim.
/// </summary>
public static class InvokeEndpoints
{
    private const int MaxClientContextBytes = 3583;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/2015-03-31/functions/{functionName}/invocations", Invoke);
        app.MapPost("/2014-11-13/functions/{functionName}/invoke-async", InvokeAsyncLegacy);
    }

    /// <summary>InvokeAsync (deprecated): the body is the event, queued like an Event invoke; 202 <c>{"Status":202}</c>.</summary>
    private static async Task InvokeAsyncLegacy(string functionName, HttpContext http, FunctionInvoker invoker,
        Async.AsyncEventQueue queue, IOptions<GridOptions> options)
    {
        var caller = http.Caller();
        var name = FunctionName.Parse(functionName, caller.AccountId, options.Value.Region, null);
        var payload = http.Body();
        if (payload.Length == 0) payload = "{}"u8.ToArray();
        else EnsureJson(payload);
        await invoker.ResolveAsync(caller.AccountId, name.Name, name.Qualifier);
        Async.AsyncEventQueue.CheckPayloadSize(payload.Length);
        var requestId = Guid.NewGuid().ToString();
        await queue.EnqueueAsync(new Async.NewAsyncEvent(requestId, caller.AccountId, name.Name, name.Qualifier, payload), http.RequestAborted);
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        http.Response.StatusCode = StatusCodes.Status202Accepted;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync("""{"Status":202}""");
    }

    private static async Task Invoke(string functionName, HttpContext http, FunctionInvoker invoker,
        IOptions<GridOptions> options)
    {
        var caller = http.Caller();
        var region = options.Value.Region;
        var request = http.Request;
        var qualifier = request.Query["Qualifier"].ToString();
        var name = FunctionName.Parse(functionName, caller.AccountId, region, qualifier.Length == 0 ? null : qualifier);

        var invocationType = request.Headers["X-Amz-Invocation-Type"].ToString();
        if (invocationType is not ("" or "RequestResponse" or "Event" or "DryRun"))
        {
            throw Errors.Validation(invocationType, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]");
        }
        var logType = request.Headers["X-Amz-Log-Type"].ToString();
        if (logType is not ("" or "None" or "Tail"))
        {
            throw Errors.Validation(logType, "logType", "Member must satisfy enum value set: [None, Tail]");
        }
        var clientContext = DecodeClientContext(request.Headers["X-Amz-Client-Context"].ToString());

        var payload = http.Body();
        if (payload.Length == 0) payload = "{}"u8.ToArray();
        else EnsureJson(payload);

        var record = (await invoker.ResolveAsync(caller.AccountId, name.Name, name.Qualifier)).Pick();
        if (invocationType == "DryRun")
        {
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var requestId = Guid.NewGuid().ToString();
        var invokedArn = invoker.InvokedArn(caller.AccountId, name.Name, name.Qualifier);
        var traceId = GridTracing.LambdaTraceHeader(System.Diagnostics.Activity.Current);
        var invoke = new InvokeRequest(record, requestId, invokedArn, payload, clientContext, traceId, logType == "Tail" && invocationType != "Event");
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        http.Response.Headers["X-Amzn-Trace-Id"] = traceId;

        if (invocationType == "Event")
        {
            // Durable: the 202 is sent once the event is stored; a node's AsyncDispatcher runs it at least once.
            Async.AsyncEventQueue.CheckPayloadSize(payload.Length);
            await http.RequestServices.GetRequiredService<Async.AsyncEventQueue>().EnqueueAsync(
                new Async.NewAsyncEvent(requestId, caller.AccountId, name.Name, name.Qualifier, payload, clientContext), http.RequestAborted);
            http.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        var result = await invoker.InvokeAsync(record, invoke);
        var headers = http.Response.Headers;
        headers["X-Amz-Executed-Version"] = result.ExecutedVersion;
        if (result.FunctionError is not null) headers["X-Amz-Function-Error"] = result.FunctionError;
        if (result.LogTail is not null) headers["X-Amz-Log-Result"] = result.LogTail;
        http.Response.ContentType = result.ContentType;
        http.Response.ContentLength = result.Payload.Length;
        await http.Response.Body.WriteAsync(result.Payload);
    }

    private static void EnsureJson(byte[] payload)
    {
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw Errors.InvalidRequestContent(e.Message);
        }
    }

    private static string? DecodeClientContext(string header)
    {
        if (header.Length == 0) return null;
        if (header.Length > MaxClientContextBytes)
        {
            throw Errors.Validation("...", "clientContext", $"Member must have length less than or equal to {MaxClientContextBytes}");
        }
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(header));
        }
        catch (FormatException)
        {
            throw Errors.InvalidParameter("Client context must be a valid Base64-encoded JSON object.");
        }
    }
}
