using System.Runtime.CompilerServices;
using System.Text.Json;
using Grid.Server.Streams;

namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// A mapping's FilterCriteria applied to Kinesis records: a record passes when any pattern matches (OR between filters).
/// Patterns see the record as {"partitionKey", "sequenceNumber", "approximateArrivalTimestamp", "kinesisSchemaVersion",
/// "data"}, where data is the decoded JSON value when the record's data is JSON, and its UTF-8 text otherwise.
/// </summary>
public sealed class RecordFilter
{
    private static readonly ConditionalWeakTable<MappingSettings, RecordFilter> Compiled = [];

    private readonly FilterPattern[] _patterns;

    private RecordFilter(FilterPattern[] patterns) => _patterns = patterns;

    /// <summary>The compiled filter of these settings (compiled once per settings instance); null when there are no filters.</summary>
    public static RecordFilter? For(MappingSettings settings) =>
        settings.Filters.Length == 0 ? null : Compiled.GetValue(settings, s => new RecordFilter([.. s.Filters.Select(FilterPattern.Parse)]));

    public bool Matches(StreamRecord record, int shard)
    {
        using var document = JsonDocument.Parse(Describe(record, shard));
        return _patterns.Any(p => p.Matches(document.RootElement));
    }

    /// <summary>The JSON the patterns are matched against.</summary>
    internal static byte[] Describe(StreamRecord record, int shard)
    {
        using var buffer = new MemoryStream(record.Data.Length + 256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kinesisSchemaVersion", "1.0");
            json.WriteString("partitionKey", record.PartitionKey);
            json.WriteString("sequenceNumber", SequenceNumbers.Format(shard, record.Seq));
            json.WriteNumber("approximateArrivalTimestamp", record.ArrivedMs / 1000.0);
            json.WritePropertyName("data");
            if (IsJson(record.Data)) json.WriteRawValue(record.Data, skipInputValidation: true);
            else json.WriteStringValue(System.Text.Encoding.UTF8.GetString(record.Data));
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static bool IsJson(byte[] data)
    {
        if (data.Length == 0) return false;
        try
        {
            using var document = JsonDocument.Parse(data, new JsonDocumentOptions { MaxDepth = 256 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
