using System.Globalization;
using System.Text;
using Grid.Server.Model;
using Microsoft.AspNetCore.Http.Features;

namespace Grid.Server.Execution.RuntimeApi;

/// <summary>
/// The Runtime API endpoints (2018-06-01) for `provided` runtimes and stock runtime clients. Each handler is thin:
/// it asks the environment's <see cref="HttpRuntimeChannel"/> for the transition and renders the answer.
/// </summary>
public static class RuntimeApiHandler
{
    private const string Prefix = "/2018-06-01/runtime/";

    public static async Task HandleAsync(HttpContext http)
    {
        var transport = http.RequestServices.GetRequiredService<RuntimeApiTransport>();
        var channel = transport.Find(http.Connection.LocalPort);
        var path = http.Request.Path.Value ?? "";
        if (channel is null || !path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            await Render(http, 404, "UnknownOperation", "Unknown Runtime API operation: " + path);
            return;
        }
        var rest = path[Prefix.Length..];
        var method = http.Request.Method;

        if (method == "GET" && rest == "invocation/next")
        {
            await NextAsync(http, channel);
        }
        else if (method == "POST" && rest == "init/error")
        {
            var body = await ReadBodyAsync(http);
            channel.InitFailed(new RuntimeReply(ReplyKind.InitError, body ?? [], http.Request.Headers["Lambda-Runtime-Function-Error-Type"]));
            await Accepted(http);
        }
        else if (method == "POST" && rest.StartsWith("invocation/", StringComparison.Ordinal) && rest.Count(c => c == '/') == 2)
        {
            var parts = rest.Split('/');
            await CompleteAsync(http, channel, parts[1], parts[2]);
        }
        else
        {
            await Render(http, 404, "UnknownOperation", "Unknown Runtime API operation: " + method + " " + path);
        }
    }

    private static async Task NextAsync(HttpContext http, HttpRuntimeChannel channel)
    {
        var next = channel.Next();
        if (next is null)
        {
            await Render(http, 403, "InvalidStateTransition", "State transition from Invoking to Ready failed: an invocation is still outstanding.");
            return;
        }
        InvocationEvent invocation;
        try
        {
            invocation = await next.WaitAsync(http.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var headers = http.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = invocation.DeadlineMs.ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = invocation.InvokedFunctionArn;
        if (invocation.TraceId is not null) headers["Lambda-Runtime-Trace-Id"] = invocation.TraceId;
        if (invocation.ClientContext is not null) headers["Lambda-Runtime-Client-Context"] = invocation.ClientContext;
        if (invocation.CognitoIdentity is not null) headers["Lambda-Runtime-Cognito-Identity"] = invocation.CognitoIdentity;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = invocation.Payload.Length;
        await http.Response.Body.WriteAsync(invocation.Payload);
    }

    private static async Task CompleteAsync(HttpContext http, HttpRuntimeChannel channel, string requestId, string verb)
    {
        if (verb is not ("response" or "error"))
        {
            await Render(http, 404, "UnknownOperation", "Unknown Runtime API operation: " + verb);
            return;
        }
        var mode = http.Request.Headers["Lambda-Runtime-Function-Response-Mode"].ToString();
        if (verb == "response" && mode.Length > 0 && mode != "streaming")
        {
            await Render(http, 400, "InvalidFunctionResponseMode", $"Invalid function response mode: {mode}");
            return;
        }
        var body = await ReadBodyAsync(http);
        RuntimeReply reply;
        if (body is null)
        {
            reply = new RuntimeReply(ReplyKind.ResponseTooLarge, []);
        }
        else if (verb == "error")
        {
            reply = new RuntimeReply(ReplyKind.Error, body, http.Request.Headers["Lambda-Runtime-Function-Error-Type"]);
        }
        else if (TrailerError(http) is { } streamedError)
        {
            reply = streamedError;
        }
        else
        {
            reply = new RuntimeReply(ReplyKind.Response, body, ContentType: http.Request.ContentType ?? "application/json");
        }
        if (!channel.Complete(requestId, reply))
        {
            await Render(http, 400, "InvalidRequestID", "Invalid request ID");
            return;
        }
        if (body is null)
        {
            await Render(http, 413, "RequestEntityTooLarge", $"Exceeded maximum allowed payload size ({CodeLimits.MaxResponseBytes} bytes).");
            return;
        }
        await Accepted(http);
    }

    /// <summary>A streamed response that failed midway reports the error in HTTP trailers.</summary>
    private static RuntimeReply? TrailerError(HttpContext http)
    {
        if (http.Features.Get<IHttpRequestTrailersFeature>() is not { Available: true } trailers) return null;
        var type = trailers.Trailers["Lambda-Runtime-Function-Error-Type"].ToString();
        if (type.Length == 0) return null;
        var encoded = trailers.Trailers["Lambda-Runtime-Function-Error-Body"].ToString();
        byte[] errorBody;
        try
        {
            errorBody = Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            errorBody = Encoding.UTF8.GetBytes($"{{\"errorType\":\"{type}\",\"errorMessage\":\"\"}}");
        }
        return new RuntimeReply(ReplyKind.Error, errorBody, type);
    }

    /// <summary>Reads the body up to the response limit; null if it is larger.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext http)
    {
        var limit = CodeLimits.MaxResponseBytes;
        if (http.Request.ContentLength is { } declared && declared > limit)
        {
            await DrainAsync(http.Request.Body);
            return null;
        }
        using var buffer = new MemoryStream((int)(http.Request.ContentLength ?? 4096));
        var chunk = new byte[32768];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                await DrainAsync(http.Request.Body);
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static async Task DrainAsync(Stream body)
    {
        var scratch = new byte[65536];
        while (await body.ReadAsync(scratch) > 0)
        {
        }
    }

    private static Task Accepted(HttpContext http)
    {
        http.Response.StatusCode = 202;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync("{\"status\":\"OK\"}");
    }

    private static Task Render(HttpContext http, int status, string errorType, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(
            $"{{\"errorType\":{System.Text.Json.JsonSerializer.Serialize(errorType)},\"errorMessage\":{System.Text.Json.JsonSerializer.Serialize(message)}}}");
    }
}
