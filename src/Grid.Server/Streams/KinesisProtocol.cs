using System.Buffers;
using System.Text.Json;

namespace Grid.Server.Streams;

/// <summary>Kinesis JSON 1.1 on the wire: which requests are Kinesis calls, and how answers and errors are written.</summary>
public static class KinesisProtocol
{
    public const string TargetPrefix = "Kinesis_20131202.";
    public const string ContentType = "application/x-amz-json-1.1";
    public const string SigningService = "kinesis";

    /// <summary>A Kinesis call: <c>POST /</c> whose X-Amz-Target names the Kinesis API.</summary>
    public static bool IsKinesis(HttpRequest request) =>
        request.Path == "/" && HttpMethods.IsPost(request.Method)
        && request.Headers["X-Amz-Target"].ToString().StartsWith(TargetPrefix, StringComparison.Ordinal);

    // Messages quote names ('orders'); keep them readable instead of \u0027.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(HttpContext context, Action<Utf8JsonWriter> body, int status = StatusCodes.Status200OK)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = buffer.WrittenCount;
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, string type, string message, int status = StatusCodes.Status400BadRequest)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.Clear();
        context.Response.Headers["x-amzn-ErrorType"] = type;
        return WriteAsync(context, w =>
        {
            w.WriteString("__type", type);
            w.WriteString("message", message);
        }, status);
    }

    /// <summary>Epoch seconds with millisecond fraction, as Kinesis sends timestamps in JSON 1.1.</summary>
    public static void WriteEpoch(this Utf8JsonWriter writer, string name, long unixMs) => writer.WriteNumber(name, unixMs / 1000m);
}
