using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Grid.Client.Internal;

/// <summary>
/// Turns a non-2xx answer into a <see cref="GridException"/> whose message says what happened and what to do next.
/// Reads Lambda's error shapes: the x-amzn-ErrorType header, and a body with Type/__type and message/Message (and Reason for throttles).
/// </summary>
internal static class ErrorMapper
{
    private const int MaxErrorBody = 64 * 1024;

    public static async Task<GridException> FromResponseAsync(HttpResponseMessage response, ApiCall call, Uri endpoint, string accessKeyId,
        int attempt, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var requestId = Header(response, "x-amzn-RequestId");
        string? bodyType = null, message = null, reason = null;
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length is > 0 and <= MaxErrorBody && body[0] == (byte)'{')
            {
                using var json = JsonDocument.Parse(body);
                foreach (var p in json.RootElement.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.String) continue;
                    switch (p.Name)
                    {
                        case "__type" or "code": bodyType = p.Value.GetString(); break;
                        case "message" or "Message" or "errorMessage": message = p.Value.GetString(); break;
                        case "Reason" or "reason": reason = p.Value.GetString(); break;
                    }
                }
            }
            else if (body.Length is > 0 and <= 512)
            {
                message = System.Text.Encoding.UTF8.GetString(body).Trim();
            }
        }
        catch (JsonException)
        {
        }

        var type = Clean(Header(response, "x-amzn-ErrorType")) ?? Clean(bodyType) ?? $"Http{status}";
        var serverMessage = message ?? response.ReasonPhrase ?? "no message";
        var target = call.Function is null ? "" : call.Qualifier is null ? call.Function : $"{call.Function}:{call.Qualifier}";

        if (status == 429 || type is "TooManyRequestsException" or "ThrottlingException")
        {
            var retryAfter = RetryAfter(response);
            var why = reason is null ? "" : $", reason {reason}";
            return new GridThrottledException(
                $"{call.Operation} was throttled by {endpoint} ({type}{why}) on all {attempt} attempt(s). " +
                "The function is at its concurrency limit: retry later, lower the request rate, or raise its reserved concurrency (or the account limit).",
                status, type, requestId, reason, retryAfter, attempt) { ServerMessage = serverMessage, Retryable = true };
        }
        if (status == 404 && type == "ResourceNotFoundException")
        {
            var text = call.Function is not null && serverMessage.StartsWith("Function not found", StringComparison.Ordinal)
                ? $"Function '{target}' was not found at {endpoint}: deploy it with `grid deploy` or check the name/qualifier. ({serverMessage})"
                : $"{call.Operation} failed at {endpoint}: {serverMessage} (ResourceNotFoundException). Check the name; list what exists with the List* calls.";
            return new GridNotFoundException(text, status, type, requestId) { ServerMessage = serverMessage };
        }

        var advice = type switch
        {
            "UnknownOperationException" =>
                $"{endpoint} does not serve {call.Method} {Path(call)}: check that the endpoint is a Grid node and that the node is recent enough for this call.",
            "UnrecognizedClientException" =>
                $"The access key '{accessKeyId}' is not known to {endpoint}: check the profile's access_key_id (or GRID_ACCESS_KEY_ID), or create a key on the node with `Grid.Server keys create`.",
            "InvalidSignatureException" or "SignatureDoesNotMatch" =>
                "The node rejected the request signature: check the secret access key and the region, and that this machine's clock is correct.",
            "MissingAuthenticationTokenException" => "The request reached the node unsigned: a proxy in between may strip the Authorization header.",
            "ResourceConflictException" => "It conflicts with the resource's current state (it exists already, or another update is in progress): check, then retry.",
            "PreconditionFailedException" => "The resource changed since it was read: read it again and retry.",
            "RequestEntityTooLargeException" => "The request is too large for the node: send a smaller payload or package.",
            _ when status >= 500 => call.Idempotent
                ? "The node failed; the call was retried where safe. Check the node's health and logs."
                : "The node failed; the call may have had an effect (an invoke may have run), so it was not retried. Retry if that is safe.",
            _ when status >= 400 => "Fix the request and try again.",
            _ => "",
        };
        var full = $"{call.Operation} failed at {endpoint} with {status} {type}: {serverMessage}. {advice}".TrimEnd();
        return new GridException(full, status, type, requestId)
        {
            ServerMessage = serverMessage,
            Retryable = call.Idempotent && status is 500 or 502 or 503 or 504,
        };
    }

    /// <summary>The connection failed before any answer: say where we tried to go.</summary>
    public static GridException Unreachable(ApiCall call, Uri endpoint, HttpRequestException error) =>
        new($"{call.Operation} could not reach {endpoint}: {error.Message}. Check the endpoint (profile `endpoint` or GRID_ENDPOINT) and that the node is running.",
            0, "ConnectionFailed", null, error)
        { Retryable = call.Idempotent };

    private static string Path(ApiCall call)
    {
        var q = call.PathAndQuery.IndexOf('?');
        return q < 0 ? call.PathAndQuery : call.PathAndQuery[..q];
    }

    /// <summary>"ResourceNotFoundException:http://..." and "com.amazon#ResourceNotFoundException" both mean ResourceNotFoundException.</summary>
    private static string? Clean(string? type)
    {
        if (string.IsNullOrEmpty(type)) return null;
        var colon = type.IndexOf(':');
        if (colon >= 0) type = type[..colon];
        var hash = type.LastIndexOf('#');
        if (hash >= 0) type = type[(hash + 1)..];
        return type.Length == 0 ? null : type;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta) return delta;
        if (retryAfter?.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return Header(response, "Retry-After") is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds) : null;
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    public static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;
}
