using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Grid.Client.Internal;

namespace Grid.Client;

/// <summary>Invoke: POST /2015-03-31/functions/{name}/invocations, the hot path (no intermediate copies of payloads).</summary>
public sealed partial class GridClient
{
    private static readonly KeyValuePair<string, string> RequestResponse = new("X-Amz-Invocation-Type", "RequestResponse");
    private static readonly KeyValuePair<string, string> EventType = new("X-Amz-Invocation-Type", "Event");
    private static readonly KeyValuePair<string, string> TailLog = new("X-Amz-Log-Type", "Tail");

    public Task<TOut?> InvokeAsync<TIn, TOut>(string function, TIn input, InvokeOptions? options = null, CancellationToken cancellationToken = default) =>
        InvokeTypedAsync(function, JsonSerializer.SerializeToUtf8Bytes(input, _options.JsonSerializerOptions),
            (bytes) => JsonSerializer.Deserialize<TOut>(bytes, _options.JsonSerializerOptions), options, cancellationToken);

    public Task<TOut?> InvokeAsync<TIn, TOut>(string function, TIn input, JsonTypeInfo<TIn> inputType, JsonTypeInfo<TOut> outputType,
        InvokeOptions? options = null, CancellationToken cancellationToken = default) =>
        InvokeTypedAsync(function, JsonSerializer.SerializeToUtf8Bytes(input, inputType),
            (bytes) => JsonSerializer.Deserialize(bytes, outputType), options, cancellationToken);

    public Task<InvokeResult> InvokeRawAsync(string function, ReadOnlyMemory<byte> payload, InvokeOptions? options = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(InvokeCall(function, payload, options, RequestResponse), async (response, ct) =>
        {
            var body = await ResponseBody.ReadAsync(response.Content, ct);
            return new InvokeResult((int)response.StatusCode, body, ErrorMapper.Header(response, "X-Amz-Function-Error"),
                ErrorMapper.Header(response, "X-Amz-Executed-Version"), DecodeLogTail(response), RequestId(response));
        }, cancellationToken);

    public Task<string> InvokeEventAsync<TIn>(string function, TIn input, InvokeOptions? options = null, CancellationToken cancellationToken = default) =>
        InvokeEventRawAsync(function, JsonSerializer.SerializeToUtf8Bytes(input, _options.JsonSerializerOptions), options, cancellationToken);

    public Task<string> InvokeEventRawAsync(string function, ReadOnlyMemory<byte> payload, InvokeOptions? options = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(InvokeCall(function, payload, options, EventType), (response, _) => Task.FromResult(RequestId(response)), cancellationToken);

    private delegate TOut? Deserializer<TOut>(ReadOnlySpan<byte> utf8);

    /// <summary>Sends the serialized input; deserializes the answer straight from a pooled buffer, or throws the function's error.</summary>
    private Task<TOut?> InvokeTypedAsync<TOut>(string function, byte[] payload, Deserializer<TOut> deserialize, InvokeOptions? options,
        CancellationToken cancellationToken) =>
        SendAsync(InvokeCall(function, payload, options, RequestResponse), async (response, ct) =>
        {
            var (buffer, length) = await ResponseBody.ReadPooledAsync(response.Content, ct);
            try
            {
                var body = buffer.AsSpan(0, length);
                if (ErrorMapper.Header(response, "X-Amz-Function-Error") is { } functionError)
                {
                    throw FunctionError(function, options?.Qualifier, functionError, body.ToArray(), RequestId(response), DecodeLogTail(response));
                }
                return length == 0 ? default : deserialize(body);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }, cancellationToken);

    private static readonly KeyValuePair<string, string>[] RequestResponseHeaders = [RequestResponse];
    private static readonly KeyValuePair<string, string>[] EventHeaders = [EventType];

    /// <summary>Invoke URIs, canonical forms and names, per endpoint, function and qualifier: the hot path parses and escapes once.</summary>
    private static readonly ConcurrentDictionary<(Uri, string, string?), InvokeTarget> InvokeTargets = new();

    private sealed record InvokeTarget(string Path, Uri Uri, CanonicalTarget Canonical, string Operation, string EventOperation);

    private ApiCall InvokeCall(string function, ReadOnlyMemory<byte> payload, InvokeOptions? options, KeyValuePair<string, string> type)
    {
        var isEvent = type.Value == "Event";
        IReadOnlyList<KeyValuePair<string, string>> headers = isEvent ? EventHeaders : RequestResponseHeaders;
        if ((options?.TailLogs == true && !isEvent) || options?.ClientContextJson is not null)
        {
            var list = new List<KeyValuePair<string, string>>(3) { type };
            if (options.TailLogs && !isEvent) list.Add(TailLog);
            if (options.ClientContextJson is { } context) list.Add(new("X-Amz-Client-Context", Convert.ToBase64String(Encoding.UTF8.GetBytes(context))));
            headers = list;
        }
        var qualifier = options?.Qualifier;
        if (InvokeTargets.Count > 4096) InvokeTargets.Clear();
        var target = InvokeTargets.GetOrAdd((_endpoint, RequireName(function), qualifier), static (key, client) =>
        {
            var (_, name, q) = key;
            var path = FunctionPath(name) + "/invocations" + (q is null ? "" : "?Qualifier=" + Escape(q));
            var (uri, canonical) = client.Resolve(path);
            return new InvokeTarget(path, uri, canonical, $"Invoke of '{name}'", $"Event invoke of '{name}'");
        }, this);
        return new ApiCall(HttpMethod.Post, target.Path, isEvent ? target.EventOperation : target.Operation)
        {
            Body = payload,
            Headers = headers,
            Function = function,
            Qualifier = qualifier,
            Timeout = options?.Timeout,
            Target = (target.Uri, target.Canonical),
        };
    }

    private static FunctionErrorException FunctionError(string function, string? qualifier, string functionError, byte[] payload, string requestId, string? logTail)
    {
        string? type = null, message = null;
        List<string>? stack = null;
        try
        {
            using var json = JsonDocument.Parse(payload);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in json.RootElement.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case "errorType" when p.Value.ValueKind == JsonValueKind.String: type = p.Value.GetString(); break;
                        case "errorMessage" when p.Value.ValueKind == JsonValueKind.String: message = p.Value.GetString(); break;
                        case "stackTrace" when p.Value.ValueKind == JsonValueKind.Array:
                            stack = p.Value.EnumerateArray().Select(l => l.ValueKind == JsonValueKind.String ? l.GetString()! : l.GetRawText()).ToList();
                            break;
                        case "stackTrace" when p.Value.ValueKind == JsonValueKind.String:
                            stack = p.Value.GetString()!.Split('\n').ToList();
                            break;
                    }
                }
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(payload);
        }
        var target = qualifier is null ? function : $"{function}:{qualifier}";
        var what = type is null && message is null ? "no error details" : $"{type ?? "Error"}: {message}";
        return new FunctionErrorException(
            $"Function '{target}' failed ({functionError}) with {what}. Request id {requestId}: read its log with GetLogsAsync (or `grid logs`) to see why.",
            functionError, type, message, stack, payload, requestId, logTail);
    }

    private static string RequestId(HttpResponseMessage response) => ErrorMapper.Header(response, "x-amzn-RequestId") ?? "";

    private static string? DecodeLogTail(HttpResponseMessage response)
    {
        if (ErrorMapper.Header(response, "X-Amz-Log-Result") is not { Length: > 0 } encoded) return null;
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return encoded;
        }
    }
}
