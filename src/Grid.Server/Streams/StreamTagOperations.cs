namespace Grid.Server.Streams;

/// <summary>
/// Stream tags in both Kinesis shapes: AddTagsToStream / ListTagsForStream / RemoveTagsFromStream (StreamName or
/// StreamARN) and TagResource / UntagResource / ListTagsForResource (ResourceARN). Both reach the same tags.
/// </summary>
public static class StreamTagOperations
{
    public static async Task AddTagsToStream(KinesisCall call)
    {
        var tags = StreamTags.Read(call.Request, required: true)!;
        await AddAsync(call, await call.StreamAsync(), tags);
    }

    public static async Task TagResource(KinesisCall call)
    {
        var tags = StreamTags.Read(call.Request, required: true)!;
        await AddAsync(call, await call.ResourceStreamAsync(), tags);
    }

    private static async Task AddAsync(KinesisCall call, StreamInfo stream, IReadOnlyDictionary<string, string> tags)
    {
        var total = await call.Catalog.AddTagsAsync(stream.Id, tags, StreamTags.MaxPerStream, call.Aborted)
            ?? throw KinesisException.StreamNotFound(stream.Name, stream.AccountId);
        if (total > StreamTags.MaxPerStream) throw StreamTags.TooMany("add tags to", stream.Name, stream.AccountId, total);
        await call.ReplyEmptyAsync();
    }

    public static async Task RemoveTagsFromStream(KinesisCall call)
    {
        var keys = StreamTags.ReadKeys(call.Request);
        await RemoveAsync(call, await call.StreamAsync(), keys);
    }

    public static async Task UntagResource(KinesisCall call)
    {
        var keys = StreamTags.ReadKeys(call.Request);
        await RemoveAsync(call, await call.ResourceStreamAsync(), keys);
    }

    private static async Task RemoveAsync(KinesisCall call, StreamInfo stream, IReadOnlyList<string> keys)
    {
        await call.Catalog.RemoveTagsAsync(stream.Id, keys, call.Aborted);
        await call.ReplyEmptyAsync();
    }

    /// <summary>A page of tags by key: up to Limit (1..50, default all) after ExclusiveStartTagKey, and HasMoreTags.</summary>
    public static async Task ListTagsForStream(KinesisCall call)
    {
        var limit = call.Request.Int("Limit", 1, StreamTags.MaxKeysPerCall) ?? StreamTags.MaxPerStream;
        var after = call.Request.String("ExclusiveStartTagKey", 1, StreamTags.MaxKeyLength, required: false);
        var stream = await call.StreamAsync();
        var tags = await call.Catalog.TagsAsync(stream.Id, after, limit + 1, call.Aborted);
        await call.ReplyAsync(w =>
        {
            StreamTags.Write(w, tags.Take(limit));
            w.WriteBoolean("HasMoreTags", tags.Count > limit);
        });
    }

    public static async Task ListTagsForResource(KinesisCall call)
    {
        var stream = await call.ResourceStreamAsync();
        var tags = await call.Catalog.TagsAsync(stream.Id, afterKey: null, StreamTags.MaxPerStream, call.Aborted);
        await call.ReplyAsync(w => StreamTags.Write(w, tags));
    }
}
