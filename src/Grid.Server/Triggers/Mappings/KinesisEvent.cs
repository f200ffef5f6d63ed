using System.Text.Json;
using Grid.Server.Streams;

namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// The event a Kinesis-triggered Lambda function receives: {"Records": [{"kinesis": {...}, "eventSource": "aws:kinesis", ...}]}
/// (Lambda Developer Guide, "Using Lambda with Kinesis"), so handlers written for Lambda run unmodified.
/// </summary>
public static class KinesisEvent
{
    /// <summary>Lambda's synchronous invocation payload limit.</summary>
    public const int MaxPayloadBytes = 6_291_456;

    /// <summary>Where the records come from, the same for every record of a batch.</summary>
    public sealed record Source(string EventSourceArn, int Shard, string Region, string InvokeIdentityArn)
    {
        public string ShardId { get; } = ShardIds.Format(Shard);

        /// <summary>An upper bound of one record's JSON without its data and partition key.</summary>
        public int RecordOverhead { get; } = 400 + 2 * (EventSourceArn.Length + InvokeIdentityArn.Length) + Region.Length;
    }

    public static byte[] Build(ReadOnlySpan<StreamRecord> records, Source source)
    {
        using var buffer = new MemoryStream(EstimateBytes(records, source));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("Records");
            foreach (var record in records)
            {
                var sequenceNumber = SequenceNumbers.Format(source.Shard, record.Seq);
                json.WriteStartObject();
                json.WriteStartObject("kinesis");
                json.WriteString("kinesisSchemaVersion", "1.0");
                json.WriteString("partitionKey", record.PartitionKey);
                json.WriteString("sequenceNumber", sequenceNumber);
                json.WriteBase64String("data", record.Data);
                json.WriteNumber("approximateArrivalTimestamp", record.ArrivedMs / 1000.0);
                json.WriteEndObject();
                json.WriteString("eventSource", "aws:kinesis");
                json.WriteString("eventVersion", "1.0");
                json.WriteString("eventID", $"{source.ShardId}:{sequenceNumber}");
                json.WriteString("eventName", "aws:kinesis:record");
                json.WriteString("invokeIdentityArn", source.InvokeIdentityArn);
                json.WriteString("awsRegion", source.Region);
                json.WriteString("eventSourceARN", source.EventSourceArn);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Cuts <paramref name="records"/> into consecutive runs whose events stay within <see cref="MaxPayloadBytes"/>
    /// (estimated from above, so a run never exceeds it). Returns the run lengths.
    /// </summary>
    public static List<int> SplitByPayload(ReadOnlySpan<StreamRecord> records, Source source, int maxBytes = MaxPayloadBytes)
    {
        var runs = new List<int>();
        long size = 16;
        var count = 0;
        foreach (var record in records)
        {
            var bytes = RecordBytes(record, source);
            if (count > 0 && size + bytes > maxBytes)
            {
                runs.Add(count);
                (size, count) = (16, 0);
            }
            size += bytes;
            count++;
        }
        if (count > 0) runs.Add(count);
        return runs;
    }

    private static int EstimateBytes(ReadOnlySpan<StreamRecord> records, Source source)
    {
        long size = 16;
        foreach (var record in records) size += RecordBytes(record, source);
        return (int)Math.Min(size, int.MaxValue);
    }

    // Base64 data, the partition key at worst fully escaped (\uXXXX is 6 bytes per UTF-16 unit), the fixed fields.
    private static long RecordBytes(StreamRecord record, Source source) =>
        (record.Data.Length + 2) / 3 * 4 + record.PartitionKey.Length * 6L + source.RecordOverhead;
}
