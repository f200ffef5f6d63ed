using System.Text.Json;
using Grid.Server.Model;
using Grid.Server.Streams;

namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// The record Lambda sends to a stream mapping's on-failure destination when it gives up on records: who failed and why
/// (requestContext, responseContext) and which records (KinesisBatchInfo); the records themselves stay in the stream.
/// </summary>
public static class OnFailureRecord
{
    public const string RetryAttemptsExhausted = "RetryAttemptsExhausted";
    public const string MaximumRecordAgeExceeded = "MaximumRecordAgeExceeded";

    /// <summary>The last attempt's answer, when the function was reached.</summary>
    public sealed record LastResponse(string ExecutedVersion, string? FunctionError);

    public static byte[] Create(ReadOnlySpan<StreamRecord> records, KinesisEvent.Source source, string functionArn, string condition,
        int invokeCount, LastResponse? response, DateTimeOffset now)
    {
        using var buffer = new MemoryStream(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("requestContext");
            json.WriteString("requestId", Guid.NewGuid().ToString());
            json.WriteString("functionArn", functionArn);
            json.WriteString("condition", condition);
            json.WriteNumber("approximateInvokeCount", invokeCount);
            json.WriteEndObject();
            if (response is not null)
            {
                json.WriteStartObject("responseContext");
                json.WriteNumber("statusCode", 200);
                json.WriteString("executedVersion", response.ExecutedVersion);
                if (response.FunctionError is not null) json.WriteString("functionError", response.FunctionError);
                json.WriteEndObject();
            }
            json.WriteString("version", "1.0");
            json.WriteString("timestamp", Timestamps.FormatIso(now));
            json.WriteStartObject("KinesisBatchInfo");
            json.WriteString("shardId", source.ShardId);
            json.WriteString("startSequenceNumber", SequenceNumbers.Format(source.Shard, records[0].Seq));
            json.WriteString("endSequenceNumber", SequenceNumbers.Format(source.Shard, records[^1].Seq));
            json.WriteString("approximateArrivalOfFirstRecord", Timestamps.FormatIso(DateTimeOffset.FromUnixTimeMilliseconds(records[0].ArrivedMs)));
            json.WriteString("approximateArrivalOfLastRecord", Timestamps.FormatIso(DateTimeOffset.FromUnixTimeMilliseconds(records[^1].ArrivedMs)));
            json.WriteNumber("batchSize", records.Length);
            json.WriteString("streamArn", source.EventSourceArn);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
