using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Grid.Runtime.Dotnet;

/// <summary>
/// One side of a handler's data: a Stream (raw bytes, no JSON), a JSON type, or nothing. Built once at init.
/// </summary>
internal sealed class Payload
{
    private readonly Type? _type;
    private readonly JsonTypeInfo? _json;

    private Payload(Type? type, JsonTypeInfo? json)
    {
        _type = type;
        _json = json;
    }

    public static Payload For(Type? type, PayloadSerializer serializer) =>
        type is null || typeof(Stream).IsAssignableFrom(type) ? new Payload(type, null) : new Payload(type, serializer.TypeInfo(type));

    public object? Read(ReadOnlyMemory<byte> json)
    {
        if (_type is null) return null;
        if (_json is null)
        {
            return MemoryMarshal.TryGetArray(json, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(json.ToArray(), writable: false);
        }
        try
        {
            return JsonSerializer.Deserialize(json.Span, _json);
        }
        catch (JsonException e)
        {
            throw new RuntimeFailure("Runtime.UnmarshalError", $"Error converting the event JSON payload to type {_type.FullName}: {e.Message}", e);
        }
    }

    public byte[] Write(object? value)
    {
        if (_type is null) return [];
        if (_json is null)
        {
            if (value is not Stream stream) return [];
            using (stream)
            {
                if (stream is MemoryStream memory) return memory.ToArray();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return copy.ToArray();
            }
        }
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(value, _json);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new RuntimeFailure("Runtime.MarshalError", $"Error converting the response object of type {_type.FullName} from the function to JSON: {e.Message}", e);
        }
    }
}
