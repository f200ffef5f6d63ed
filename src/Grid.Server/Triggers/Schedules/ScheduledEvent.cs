using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Grid.Server.Triggers.Schedules;

/// <summary>What one occurrence of a schedule sends: its id and the payload (the schedule's Input, or EventBridge's scheduled event).</summary>
public static class ScheduledEvent
{
    /// <summary>
    /// A UUID derived from the schedule's generation and the occurrence time: the async event's id (and the function's
    /// request id), so a duplicated tick collides on the queue's primary key instead of invoking twice.
    /// </summary>
    public static string Id(Schedule schedule, DateTimeOffset occurrence)
    {
        var key = $"{schedule.AccountId}/{schedule.Name}/{schedule.Created}/{occurrence.ToUnixTimeMilliseconds()}";
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version 5 (name-based, SHA) layout
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }

    /// <summary>The payload: the schedule's Input when set, otherwise the EventBridge "Scheduled Event".</summary>
    public static byte[] Payload(Schedule schedule, DateTimeOffset occurrence, string id, string region)
    {
        if (schedule.Input is { } input) return Encoding.UTF8.GetBytes(input);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", "0");
            json.WriteString("id", id);
            json.WriteString("detail-type", "Scheduled Event");
            json.WriteString("source", "aws.events");
            json.WriteString("account", schedule.AccountId);
            json.WriteString("time", occurrence.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            json.WriteString("region", region);
            json.WriteStartArray("resources");
            json.WriteStringValue(schedule.Arn(region));
            json.WriteEndArray();
            json.WriteStartObject("detail");
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
