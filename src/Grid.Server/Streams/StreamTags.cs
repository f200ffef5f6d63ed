using System.Text.Json;
using System.Text.RegularExpressions;

namespace Grid.Server.Streams;

/// <summary>
/// Kinesis's tag rules, read off a request: keys of 1..128 and values of 0..256 Unicode letters, digits, white space
/// and <c>_ . : / = + - @</c>; at most 50 tags on a stream.
/// </summary>
public static partial class StreamTags
{
    public const int MaxPerStream = 50;
    public const int MaxKeyLength = 128;
    public const int MaxValueLength = 256;

    /// <summary>TagKeyList's bound (RemoveTagsFromStream, UntagResource) and ListTagsForStream's largest Limit.</summary>
    public const int MaxKeysPerCall = 50;

    /// <summary>TagMap's bound in the API model; the 50 per stream is checked against what the stream would hold.</summary>
    private const int MaxMapEntries = 200;

    private const string Allowed = "Tags may only contain Unicode letters, digits, white space, or these symbols: _ . : / = + - @";

    /// <summary>The request's <c>Tags</c> map, validated; null when it is absent and not required.</summary>
    public static IReadOnlyDictionary<string, string>? Read(KinesisRequest request, bool required)
    {
        if (request.Object("Tags") is not { } map)
        {
            return required ? throw KinesisException.Validation("null", "tags", "Member must not be null") : null;
        }
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in map.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String) throw KinesisRequest.Serialization($"the value of tag {entry.Name} must be a string");
            var value = entry.Value.GetString()!;
            CheckKey(entry.Name, "tags");
            if (value.Length > MaxValueLength)
            {
                throw KinesisException.Validation(KinesisRequest.Clip(value), "tags",
                    $"Map value must satisfy constraint: [Member must have length less than or equal to {MaxValueLength}]");
            }
            CheckCharacters("value", value);
            tags[entry.Name] = value;
        }
        if (tags.Count < 1) throw KinesisException.Validation("{}", "tags", "Member must have length greater than or equal to 1");
        if (tags.Count > MaxMapEntries)
        {
            throw KinesisException.Validation($"{{{tags.Count} tags}}", "tags", $"Member must have length less than or equal to {MaxMapEntries}");
        }
        return tags;
    }

    /// <summary>The request's <c>TagKeys</c> list (required), validated.</summary>
    public static IReadOnlyList<string> ReadKeys(KinesisRequest request)
    {
        var list = request.Array("TagKeys") ?? throw KinesisException.Validation("null", "tagKeys", "Member must not be null");
        var keys = new List<string>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw KinesisRequest.Serialization("every entry of TagKeys must be a string");
            keys.Add(item.GetString()!);
            CheckKey(keys[^1], "tagKeys");
        }
        if (keys.Count < 1) throw KinesisException.Validation("[]", "tagKeys", "Member must have length greater than or equal to 1");
        if (keys.Count > MaxKeysPerCall)
        {
            throw KinesisException.Validation($"[{keys.Count} keys]", "tagKeys", $"Member must have length less than or equal to {MaxKeysPerCall}");
        }
        return keys;
    }

    /// <summary>Kinesis's answer when a stream would end up with more than <see cref="MaxPerStream"/> tags.</summary>
    public static KinesisException TooMany(string action, string streamName, string accountId, int total) => KinesisException.InvalidArgument(
        $"Failed to {action} stream {streamName} under account {accountId} because a given stream cannot have more than {MaxPerStream} tags "
        + $"associated with it; this request would leave it with {total}. Remove tags with RemoveTagsFromStream first, or add fewer.");

    /// <summary>Writes <c>"Tags": [{"Key": ..., "Value": ...}, ...]</c>.</summary>
    public static void Write(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, string>> tags)
    {
        w.WriteStartArray("Tags");
        foreach (var (key, value) in tags)
        {
            w.WriteStartObject();
            w.WriteString("Key", key);
            w.WriteString("Value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void CheckKey(string key, string member)
    {
        if (key.Length is < 1 or > MaxKeyLength)
        {
            throw KinesisException.Validation(KinesisRequest.Clip(key), member,
                $"{(member == "tags" ? "Map keys" : "Member")} must satisfy constraint: [Member must have length less than or equal to {MaxKeyLength}, Member must have length greater than or equal to 1]");
        }
        CheckCharacters("key", key);
    }

    private static void CheckCharacters(string what, string text)
    {
        if (!AllowedPattern().IsMatch(text))
        {
            throw KinesisException.InvalidArgument($"Tag {what} '{KinesisRequest.Clip(text)}' contains a character tags cannot have. {Allowed}.");
        }
    }

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
    private static partial Regex AllowedPattern();
}
