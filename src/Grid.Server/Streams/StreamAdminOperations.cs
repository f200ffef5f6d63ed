using System.Text;
using System.Text.Json;

namespace Grid.Server.Streams;

/// <summary>The stream-management half of the Kinesis API: create, delete, describe, list, shards, retention, mode (tags: <see cref="StreamTagOperations"/>).</summary>
public static class StreamAdminOperations
{
    public const int OnDemandShards = 4;
    public const int DefaultRetentionHours = 24;
    public const int MaxRetentionHours = 8760;

    public static async Task CreateStream(KinesisCall call)
    {
        var name = call.StreamName();
        var mode = StreamModes.Read(call.Request) ?? StreamModes.Provisioned;
        var count = call.Request.Int("ShardCount", 1, 100000);
        var tags = StreamTags.Read(call.Request, required: false);
        var shards = count ?? (mode == StreamModes.OnDemand ? OnDemandShards
            : throw KinesisException.InvalidArgument("ShardCount is required for a PROVISIONED stream (or set StreamModeDetails StreamMode=ON_DEMAND)."));
        if (shards > call.Options.MaxStreamShards)
        {
            throw new KinesisException("LimitExceededException",
                $"This request would create {shards} shards; this Grid node allows at most {call.Options.MaxStreamShards} per stream "
                + "(setting Grid:MaxStreamShards). Ask for fewer shards or raise the setting.");
        }
        if (tags is { Count: > StreamTags.MaxPerStream }) throw StreamTags.TooMany("create", name, call.AccountId, tags.Count);
        var arn = StreamArns.Format(call.Options.Region, call.AccountId, name);
        if (await call.Catalog.CreateAsync(call.AccountId, name, arn, shards, DefaultRetentionHours, mode, tags, call.Aborted) is null)
        {
            throw new KinesisException("ResourceInUseException", $"Stream {name} under account {call.AccountId} already exists.");
        }
        await call.ReplyEmptyAsync();
    }

    /// <summary>Changes only the stored mode: the shards stay as they are, and Grid throttles neither mode.</summary>
    public static async Task UpdateStreamMode(KinesisCall call)
    {
        call.Request.String("StreamARN", 1, 2048, required: true);
        var mode = StreamModes.Read(call.Request) ?? throw KinesisException.Validation("null", "streamModeDetails", "Member must not be null");
        var stream = await call.StreamAsync();
        if (mode != stream.Mode) await call.Catalog.SetModeAsync(stream.Id, mode, call.Aborted);
        await call.ReplyEmptyAsync();
    }

    /// <summary>
    /// Deletes the stream and its event source mappings with their checkpoints (they could never run again: a re-created
    /// stream of the same name is another stream, with sequence numbers from 1, and gets mappings of its own).
    /// </summary>
    public static async Task DeleteStream(KinesisCall call)
    {
        var stream = await call.StreamAsync();
        await call.Catalog.DeleteAsync(stream, call.Aborted);
        // Not cancelled with the request: the stream is gone, so its mappings must go too.
        await call.Http.RequestServices.GetRequiredService<Triggers.Mappings.MappingStore>().DeleteOrphanedAsync(CancellationToken.None);
        call.Http.RequestServices.GetRequiredService<StreamRetentionService>().SweepSoon();
        await call.ReplyEmptyAsync();
    }

    public static async Task DescribeStream(KinesisCall call)
    {
        var stream = await call.StreamAsync();
        var limit = call.Request.Int("Limit", 1, 10000) ?? 100;
        var first = 0;
        if (call.Request.String("ExclusiveStartShardId") is { } start)
        {
            first = ShardIds.TryParse(start, out var s) ? s + 1 : throw KinesisException.InvalidArgument($"ExclusiveStartShardId {start} is not a shard id.");
        }
        var last = Math.Min(stream.ShardCount, first + limit);
        await call.ReplyAsync(w =>
        {
            w.WriteStartObject("StreamDescription");
            WriteCommon(w, stream);
            w.WriteStartArray("Shards");
            for (var shard = first; shard < last; shard++) WriteShard(w, stream, shard);
            w.WriteEndArray();
            w.WriteBoolean("HasMoreShards", last < stream.ShardCount);
            w.WriteEndObject();
        });
    }

    public static async Task DescribeStreamSummary(KinesisCall call)
    {
        var stream = await call.StreamAsync();
        await call.ReplyAsync(w =>
        {
            w.WriteStartObject("StreamDescriptionSummary");
            WriteCommon(w, stream);
            w.WriteNumber("OpenShardCount", stream.ShardCount);
            w.WriteNumber("ConsumerCount", 0);
            w.WriteEndObject();
        });
    }

    private static void WriteCommon(Utf8JsonWriter w, StreamInfo stream)
    {
        w.WriteString("StreamName", stream.Name);
        w.WriteString("StreamARN", stream.Arn);
        w.WriteString("StreamStatus", stream.Status);
        StreamModes.Write(w, stream);
        w.WriteNumber("RetentionPeriodHours", stream.RetentionHours);
        w.WriteEpoch("StreamCreationTimestamp", stream.CreatedMs);
        w.WriteStartArray("EnhancedMonitoring");
        w.WriteStartObject();
        w.WriteStartArray("ShardLevelMetrics");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("EncryptionType", "NONE");
    }

    private static void WriteShard(Utf8JsonWriter w, StreamInfo stream, int shard)
    {
        w.WriteStartObject();
        w.WriteString("ShardId", ShardIds.Format(shard));
        w.WriteStartObject("HashKeyRange");
        w.WriteString("StartingHashKey", HashKeyRanges.Start(shard, stream.ShardCount).ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("EndingHashKey", HashKeyRanges.End(shard, stream.ShardCount).ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteStartObject("SequenceNumberRange");
        w.WriteString("StartingSequenceNumber", SequenceNumbers.Format(shard, 0));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static async Task ListShards(KinesisCall call)
    {
        var max = call.Request.Int("MaxResults", 1, 10000) ?? 1000;
        StreamInfo stream;
        int first;
        if (call.Request.String("NextToken") is { } token)
        {
            if (call.Request.Has("StreamName") || call.Request.Has("StreamARN"))
            {
                throw KinesisException.InvalidArgument("NextToken and StreamName/StreamARN cannot be provided together; NextToken already names the stream.");
            }
            var (streamId, next) = DecodeShardToken(token);
            stream = await call.Log.FindByIdAsync(streamId, call.Aborted) is { } found && found.AccountId == call.AccountId
                ? found : throw new KinesisException("ResourceNotFoundException", "The stream this NextToken belongs to no longer exists.");
            first = next;
        }
        else
        {
            stream = await call.StreamAsync();
            first = 0;
            if (call.Request.String("ExclusiveStartShardId") is { } start)
            {
                first = ShardIds.TryParse(start, out var s) ? s + 1 : throw KinesisException.InvalidArgument($"ExclusiveStartShardId {start} is not a shard id.");
            }
        }
        var last = Math.Min(stream.ShardCount, first + max);
        await call.ReplyAsync(w =>
        {
            w.WriteStartArray("Shards");
            for (var shard = first; shard < last; shard++) WriteShard(w, stream, shard);
            w.WriteEndArray();
            if (last < stream.ShardCount) w.WriteString("NextToken", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{stream.Id}|{last}")));
        });
    }

    private static (string StreamId, int Next) DecodeShardToken(string token)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('|');
            return (parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
        {
            throw KinesisException.InvalidArgument("NextToken is not one ListShards returned; start again without it.");
        }
    }

    public static async Task ListStreams(KinesisCall call)
    {
        var limit = call.Request.Int("Limit", 1, 10000) ?? 100;
        var after = call.Request.String("ExclusiveStartStreamName");
        if (call.Request.String("NextToken") is { } token)
        {
            try { after = Encoding.UTF8.GetString(Convert.FromBase64String(token)); }
            catch (FormatException) { throw KinesisException.InvalidArgument("NextToken is not one ListStreams returned; start again without it."); }
        }
        var streams = await call.Catalog.ListAsync(call.AccountId, after, limit + 1, call.Aborted);
        var page = streams.Take(limit).ToList();
        var more = streams.Count > limit;
        await call.ReplyAsync(w =>
        {
            w.WriteStartArray("StreamNames");
            foreach (var s in page) w.WriteStringValue(s.Name);
            w.WriteEndArray();
            w.WriteBoolean("HasMoreStreams", more);
            if (more) w.WriteString("NextToken", Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1].Name)));
            w.WriteStartArray("StreamSummaries");
            foreach (var s in page)
            {
                w.WriteStartObject();
                w.WriteString("StreamName", s.Name);
                w.WriteString("StreamARN", s.Arn);
                w.WriteString("StreamStatus", s.Status);
                StreamModes.Write(w, s);
                w.WriteEpoch("StreamCreationTimestamp", s.CreatedMs);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    public static Task IncreaseStreamRetentionPeriod(KinesisCall call) => ChangeRetention(call, increase: true);

    public static Task DecreaseStreamRetentionPeriod(KinesisCall call) => ChangeRetention(call, increase: false);

    private static async Task ChangeRetention(KinesisCall call, bool increase)
    {
        var hours = call.Request.Int("RetentionPeriodHours", 1, 100000)
            ?? throw KinesisException.Validation("null", "retentionPeriodHours", "Member must not be null");
        var stream = await call.StreamAsync();
        if (hours < DefaultRetentionHours)
        {
            throw KinesisException.InvalidArgument($"Minimum allowed retention period is {DefaultRetentionHours} hours. Requested retention period ({hours} hours) is too short.");
        }
        if (hours > MaxRetentionHours)
        {
            throw KinesisException.InvalidArgument($"Maximum allowed retention period is {MaxRetentionHours} hours. Requested retention period ({hours} hours) is too long.");
        }
        if (increase && hours < stream.RetentionHours)
        {
            throw KinesisException.InvalidArgument($"Requested retention period ({hours} hours) for stream {stream.Name} can not be shorter than existing "
                + $"retention period ({stream.RetentionHours} hours). Use DecreaseStreamRetentionPeriod API.");
        }
        if (!increase && hours > stream.RetentionHours)
        {
            throw KinesisException.InvalidArgument($"Requested retention period ({hours} hours) for stream {stream.Name} can not be longer than existing "
                + $"retention period ({stream.RetentionHours} hours). Use IncreaseStreamRetentionPeriod API.");
        }
        await call.Catalog.SetRetentionAsync(stream.Id, hours, call.Aborted);
        await call.ReplyEmptyAsync();
    }
}
