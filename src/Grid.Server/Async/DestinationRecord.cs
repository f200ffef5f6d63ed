using System.Text.Json;
using Grid.Server.Model;

namespace Grid.Server.Async;

/// <summary>
/// The invocation record Lambda sends to an async invocation's destination (Lambda Developer Guide, "invocation
/// records"): request context with the condition, the original event, and the function's response when it ran.
/// </summary>
public static class DestinationRecord
{
    public const string Success = "Success";
    public const string RetriesExhausted = "RetriesExhausted";
    public const string EventAgeExceeded = "EventAgeExceeded";

    /// <param name="functionArn">The invoked function's ARN with its qualifier ($LATEST when unqualified).</param>
    /// <param name="response">The last attempt's outcome, when there was one in this claim.</param>
    public static byte[] Create(AsyncEvent e, string functionArn, string condition, int invokeCount,
        (string ExecutedVersion, string? FunctionError, byte[] Payload)? response, DateTimeOffset now)
    {
        using var buffer = new MemoryStream(e.Payload.Length + (response?.Payload.Length ?? 0) + 512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteString("timestamp", Model.Timestamps.FormatIso(now));
            json.WriteStartObject("requestContext");
            json.WriteString("requestId", e.Id);
            json.WriteString("functionArn", functionArn);
            json.WriteString("condition", condition);
            json.WriteNumber("approximateInvokeCount", invokeCount);
            json.WriteEndObject();
            json.WritePropertyName("requestPayload");
            WriteJsonOrString(json, e.Payload);
            if (response is { } r)
            {
                json.WriteStartObject("responseContext");
                json.WriteNumber("statusCode", 200);
                json.WriteString("executedVersion", r.ExecutedVersion);
                if (r.FunctionError is not null) json.WriteString("functionError", r.FunctionError);
                json.WriteEndObject();
                json.WritePropertyName("responsePayload");
                WriteJsonOrString(json, r.Payload);
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>A JSON value is embedded as is; anything else (a function may answer plain text) as a string.</summary>
    private static void WriteJsonOrString(Utf8JsonWriter json, byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            json.WriteNullValue();
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
            document.RootElement.WriteTo(json);
        }
        catch (JsonException)
        {
            json.WriteStringValue(System.Text.Encoding.UTF8.GetString(bytes));
        }
    }

    /// <summary>The function a destination or dead-letter ARN names, or null when it names something else.</summary>
    public static (string Account, string Name, string? Qualifier)? ParseFunctionArn(string arn)
    {
        var parts = arn.Split(':');
        if (parts.Length is < 7 or > 8 || parts[0] != "arn" || !parts[1].StartsWith("aws", StringComparison.Ordinal)
            || parts[2] != "lambda" || parts[5] != "function" || parts[6].Length == 0)
        {
            return null;
        }
        return (parts[4], parts[6], parts.Length == 8 ? parts[7] : null);
    }

    /// <summary>The configured destinations, or null for none.</summary>
    public static string? OnSuccess(FunctionEventInvokeConfig? config) => config?.DestinationConfig.OnSuccess.Destination is { Length: > 0 } d ? d : null;

    public static string? OnFailure(FunctionEventInvokeConfig? config) => config?.DestinationConfig.OnFailure.Destination is { Length: > 0 } d ? d : null;
}
