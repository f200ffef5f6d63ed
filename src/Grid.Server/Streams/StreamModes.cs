using System.Text.Json;

namespace Grid.Server.Streams;

/// <summary>
/// Kinesis capacity modes. Grid stores and reports a stream's mode, but no mode throttles (there are no per-shard
/// throughput limits either way); ON_DEMAND only picks the shard count when CreateStream is given none.
/// </summary>
public static class StreamModes
{
    public const string Provisioned = "PROVISIONED";
    public const string OnDemand = "ON_DEMAND";

    /// <summary>StreamModeDetails.StreamMode of the request; null when there is no StreamModeDetails.</summary>
    public static string? Read(KinesisRequest request)
    {
        if (request.Object("StreamModeDetails") is not { } details) return null;
        var mode = details.TryGetProperty("StreamMode", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        return mode is Provisioned or OnDemand ? mode
            : throw KinesisException.Validation(mode ?? "null", "streamModeDetails.streamMode", "Member must satisfy enum value set: [ON_DEMAND, PROVISIONED]");
    }

    /// <summary>Writes <c>"StreamModeDetails": {"StreamMode": ...}</c> as DescribeStream(Summary) and ListStreams answer it.</summary>
    public static void Write(Utf8JsonWriter w, StreamInfo stream)
    {
        w.WriteStartObject("StreamModeDetails");
        w.WriteString("StreamMode", stream.Mode);
        w.WriteEndObject();
    }
}
