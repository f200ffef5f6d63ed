using System.Text.Json;

namespace Grid.Server.Streams;

/// <summary>The data half of the Kinesis API: PutRecord(s), GetShardIterator, GetRecords.</summary>
public static class RecordOperations
{
    public const int MaxRecordBytes = 1024 * 1024;
    public const int MaxPutRecordsCount = 500;
    public const int MaxPutRecordsBytes = 5 * 1024 * 1024;
    public const int MaxGetRecordsLimit = 10000;
    public const int MaxGetRecordsBytes = 10 * 1024 * 1024;

    private static readonly string[] IteratorTypes = ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"];

    /// <summary>One record of a put, validated and placed on its shard before anything is written.</summary>
    private readonly record struct Placed(int Shard, PendingRecord Record);

    public static async Task PutRecord(KinesisCall call)
    {
        var stream = await call.StreamAsync();
        var placed = Place(stream, call.Request.Root, member: "");
        var outcome = (await Append(call, stream, [placed]))[0];
        var appended = outcome.Appended ?? throw outcome.Error!;
        await call.ReplyAsync(w =>
        {
            w.WriteString("ShardId", ShardIds.Format(appended.Shard));
            w.WriteString("SequenceNumber", SequenceNumbers.Format(appended.Shard, appended.Seq));
            w.WriteString("EncryptionType", "NONE");
        });
    }

    public static async Task PutRecords(KinesisCall call)
    {
        var records = call.Request.Array("Records") ?? throw KinesisException.Validation("null", "records", "Member must not be null");
        var count = records.GetArrayLength();
        if (count < 1) throw KinesisException.Validation("[]", "records", "Member must have length greater than or equal to 1");
        if (count > MaxPutRecordsCount)
        {
            throw KinesisException.Validation($"[{count} records]", "records", $"Member must have length less than or equal to {MaxPutRecordsCount}");
        }
        var stream = await call.StreamAsync();
        // Validate every record before writing any: bad input never half-writes.
        var placed = new Placed[count];
        long total = 0;
        var i = 0;
        foreach (var element in records.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object) throw KinesisRequest.Serialization("every entry of Records must be an object");
            placed[i] = Place(stream, element, member: $"records.{i + 1}.member.");
            total += placed[i].Record.Data.Length + System.Text.Encoding.UTF8.GetByteCount(placed[i].Record.PartitionKey);
            i++;
        }
        if (total > MaxPutRecordsBytes)
        {
            throw KinesisException.InvalidArgument($"Records size exceeds 5 MB limit: this request has {total} bytes of data and partition keys. Split it into smaller PutRecords calls.");
        }
        var outcomes = await Append(call, stream, placed);
        var failed = outcomes.Count(o => o.Appended is null);
        await call.ReplyAsync(w =>
        {
            w.WriteNumber("FailedRecordCount", failed);
            w.WriteStartArray("Records");
            foreach (var outcome in outcomes)
            {
                w.WriteStartObject();
                if (outcome.Appended is { } a)
                {
                    w.WriteString("SequenceNumber", SequenceNumbers.Format(a.Shard, a.Seq));
                    w.WriteString("ShardId", ShardIds.Format(a.Shard));
                }
                else
                {
                    w.WriteString("ErrorCode", "InternalFailure");
                    w.WriteString("ErrorMessage", $"Internal service failure: {outcome.Error?.Message} Retry the record.");
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("EncryptionType", "NONE");
        });
    }

    private static async Task<AppendOutcome[]> Append(KinesisCall call, StreamInfo stream, Placed[] placed)
    {
        var outcomes = await call.Log.AppendManyAsync(stream, placed.Select(p => (p.Shard, p.Record)).ToArray(), call.Aborted);
        if (outcomes.Any(o => o.Error is StreamGoneException)) throw KinesisException.StreamNotFound(stream.Name, stream.AccountId);
        call.Http.RequestServices.GetRequiredService<Telemetry.GridMetrics>()
            .StreamRecordsIncoming(stream.AccountId, stream.Name, outcomes.Count(o => o.Appended is not null));
        return outcomes;
    }

    /// <summary>Reads PartitionKey, Data and ExplicitHashKey of one record (of PutRecord's body or one PutRecords entry) and picks its shard.</summary>
    private static Placed Place(StreamInfo stream, JsonElement element, string member)
    {
        string? key = null, hashKey = null;
        byte[]? data = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "PartitionKey":
                    key = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()
                        : throw KinesisRequest.Serialization("PartitionKey must be a string");
                    break;
                case "ExplicitHashKey" when property.Value.ValueKind != JsonValueKind.Null:
                    hashKey = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()
                        : throw KinesisRequest.Serialization("ExplicitHashKey must be a string");
                    break;
                case "Data":
                    if (property.Value.ValueKind != JsonValueKind.String || !property.Value.TryGetBytesFromBase64(out data))
                    {
                        throw KinesisRequest.Serialization("Data must be a base64 string");
                    }
                    break;
            }
        }
        if (key is null) throw KinesisException.Validation("null", member + "partitionKey", "Member must not be null");
        if (key.Length < 1) throw KinesisException.Validation(key, member + "partitionKey", "Member must have length greater than or equal to 1");
        if (key.Length > 256) throw KinesisException.Validation(key[..32] + "...", member + "partitionKey", "Member must have length less than or equal to 256");
        if (data is null) throw KinesisException.Validation("null", member + "data", "Member must not be null");
        if (data.Length > MaxRecordBytes)
        {
            throw KinesisException.Validation($"java.nio.HeapByteBuffer[pos=0 lim={data.Length} cap={data.Length}]", member + "data",
                $"Member must have length less than or equal to {MaxRecordBytes}");
        }
        if (hashKey is not null && !HashKeyRanges.TryParseHashKey(hashKey, out _))
        {
            throw KinesisException.InvalidArgument($"Invalid ExplicitHashKey {hashKey}: it must be a decimal integer from 0 to 2^128-1.");
        }
        return new Placed(HashKeyRanges.ShardFor(key, hashKey, stream.ShardCount), new PendingRecord(key, data));
    }

    public static async Task GetShardIterator(KinesisCall call)
    {
        var stream = await call.StreamAsync();
        var shard = call.Shard(stream);
        var type = call.Request.String("ShardIteratorType", 1, 64, required: true)!;
        if (!IteratorTypes.Contains(type))
        {
            throw KinesisException.Validation(type, "shardIteratorType", $"Member must satisfy enum value set: [{string.Join(", ", IteratorTypes)}]");
        }
        long after;
        switch (type)
        {
            case "TRIM_HORIZON":
                after = 0;
                break;
            case "LATEST":
                after = await Head(call, stream, shard);
                break;
            case "AT_TIMESTAMP":
                var at = call.Request.Timestamp("Timestamp")
                    ?? throw KinesisException.InvalidArgument("Timestamp must be provided for ShardIteratorType AT_TIMESTAMP.");
                after = await call.Log.SeqBeforeTimestampAsync(stream.Id, shard, at.ToUnixTimeMilliseconds(), call.Aborted);
                break;
            default:
                var text = call.Request.String("StartingSequenceNumber")
                    ?? throw KinesisException.InvalidArgument($"StartingSequenceNumber must be provided for ShardIteratorType {type}.");
                if (!SequenceNumbers.TryParse(text, out var ofShard, out var seq))
                {
                    throw KinesisException.InvalidArgument($"StartingSequenceNumber {text} used in GetShardIterator on shard {ShardIds.Format(shard)} in stream "
                        + $"{stream.Name} under account {stream.AccountId} is invalid: Grid sequence numbers are 25 digits (see PutRecord's SequenceNumber).");
                }
                if (ofShard != shard)
                {
                    throw KinesisException.InvalidArgument($"Invalid StartingSequenceNumber. It encodes {ShardIds.Format(ofShard)}, while it was used in a call "
                        + $"to a shard with {ShardIds.Format(shard)}.");
                }
                after = type == "AT_SEQUENCE_NUMBER" ? Math.Max(seq - 1, 0) : seq;
                break;
        }
        var iterator = await call.Iterators.IssueAsync(new ShardPosition(stream.AccountId, stream.Id, shard, after), call.Aborted);
        await call.ReplyAsync(w => w.WriteString("ShardIterator", iterator));
    }

    private static async Task<long> Head(KinesisCall call, StreamInfo stream, int shard) =>
        await call.Log.TryHeadAsync(stream.Id, shard, call.Aborted) ?? throw KinesisException.StreamNotFound(stream.Name, stream.AccountId);

    public static async Task GetRecords(KinesisCall call)
    {
        var iterator = call.Request.String("ShardIterator", 1, 512, required: true)!;
        var limit = call.Request.Int("Limit", 1, MaxGetRecordsLimit) ?? MaxGetRecordsLimit;
        var position = await call.Iterators.ReadAsync(iterator, call.Aborted);
        if (position.AccountId != call.AccountId || await call.Log.FindByIdAsync(position.StreamId, call.Aborted) is not { } stream)
        {
            throw new KinesisException("ResourceNotFoundException",
                $"The stream of this shard iterator does not exist under account {call.AccountId} (it was deleted). Get a new iterator with GetShardIterator.");
        }
        var records = await call.Log.ReadAsync(stream.Id, position.Shard, position.AfterSeq, limit, call.Aborted);
        // Like Kinesis, stop at about 10 MiB; the rest comes with the next call.
        var take = 0;
        long bytes = 0;
        while (take < records.Count && (take == 0 || bytes + records[take].Data.Length <= MaxGetRecordsBytes)) bytes += records[take++].Data.Length;
        var head = await Head(call, stream, position.Shard);
        var lastSeq = take > 0 ? records[take - 1].Seq : Math.Max(position.AfterSeq, 0);
        var behind = take > 0 && lastSeq < head ? Math.Max(0, call.NowMs - records[take - 1].ArrivedMs) : 0;
        var next = await call.Iterators.IssueAsync(position with { AfterSeq = lastSeq }, call.Aborted);
        await call.ReplyAsync(w =>
        {
            w.WriteStartArray("Records");
            for (var i = 0; i < take; i++)
            {
                var r = records[i];
                w.WriteStartObject();
                w.WriteString("SequenceNumber", SequenceNumbers.Format(position.Shard, r.Seq));
                w.WriteEpoch("ApproximateArrivalTimestamp", r.ArrivedMs);
                w.WriteBase64String("Data", r.Data);
                w.WriteString("PartitionKey", r.PartitionKey);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("NextShardIterator", next);
            w.WriteNumber("MillisBehindLatest", behind);
        });
    }
}
