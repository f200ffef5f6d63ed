using System.Text.Json;

namespace Grid.Server.Streams;

/// <summary>
/// The JSON body of one Kinesis call with typed, validated access: malformed JSON or a member of the wrong type is a
/// SerializationException, a value outside its constraint a ValidationException, as Kinesis answers them.
/// </summary>
public sealed class KinesisRequest
{
    private readonly JsonElement _root;

    private KinesisRequest(JsonElement root) => _root = root;

    public static KinesisRequest Parse(byte[] body)
    {
        if (body.Length == 0) return new KinesisRequest(JsonDocument.Parse("{}").RootElement);
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw Serialization("the request body must be a JSON object");
            return new KinesisRequest(document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw Serialization($"the request body is not valid JSON ({e.Message})");
        }
    }

    internal static KinesisException Serialization(string detail) =>
        new("SerializationException", $"Could not read the request: {detail}. Send a JSON object with Content-Type application/x-amz-json-1.1.");

    public JsonElement Root => _root;

    private JsonElement? Member(string name) =>
        _root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public bool Has(string name) => Member(name) is not null;

    public string? String(string name)
    {
        if (Member(name) is not { } value) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Serialization($"member {name} must be a string");
    }

    /// <summary>A string of <paramref name="min"/>..<paramref name="max"/> characters; null when absent and not required.</summary>
    public string? String(string name, int min, int max, bool required)
    {
        var value = String(name);
        if (value is null)
        {
            return required ? throw KinesisException.Validation("null", Camel(name), "Member must not be null") : null;
        }
        if (value.Length < min) throw KinesisException.Validation(value, Camel(name), $"Member must have length greater than or equal to {min}");
        if (value.Length > max) throw KinesisException.Validation(Clip(value), Camel(name), $"Member must have length less than or equal to {max}");
        return value;
    }

    public long? Long(string name, long min, long max)
    {
        if (Member(name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number)) throw Serialization($"member {name} must be an integer");
        if (number < min) throw KinesisException.Validation(Str(number), Camel(name), $"Member must have value greater than or equal to {min}");
        if (number > max) throw KinesisException.Validation(Str(number), Camel(name), $"Member must have value less than or equal to {max}");
        return number;
    }

    public int? Int(string name, int min, int max) => (int?)Long(name, min, max);

    /// <summary>A timestamp: epoch seconds (what the SDKs send) or an ISO 8601 string.</summary>
    public DateTimeOffset? Timestamp(string name)
    {
        if (Member(name) is not { } value) return null;
        if (value.ValueKind == JsonValueKind.Number) return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(value.GetDouble() * 1000));
        if (value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed)) return parsed;
        throw Serialization($"member {name} must be a timestamp (epoch seconds)");
    }

    public JsonElement? Object(string name)
    {
        if (Member(name) is not { } value) return null;
        return value.ValueKind == JsonValueKind.Object ? value : throw Serialization($"member {name} must be an object");
    }

    public JsonElement? Array(string name)
    {
        if (Member(name) is not { } value) return null;
        return value.ValueKind == JsonValueKind.Array ? value : throw Serialization($"member {name} must be a list");
    }

    internal static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    internal static string Clip(string value) => value.Length > 64 ? value[..64] + "..." : value;

    private static string Str(long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
