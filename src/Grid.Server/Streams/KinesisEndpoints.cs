using Grid.Server.Api;
using Grid.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Grid.Server.Streams;

/// <summary>The Kinesis JSON 1.1 API on the node's port: <c>POST /</c>, operation in X-Amz-Target, SigV4 checked by the front door.</summary>
public static class KinesisEndpoints
{
    private static readonly Dictionary<string, Func<KinesisCall, Task>> Operations = new(StringComparer.Ordinal)
    {
        ["CreateStream"] = StreamAdminOperations.CreateStream,
        ["DeleteStream"] = StreamAdminOperations.DeleteStream,
        ["DescribeStream"] = StreamAdminOperations.DescribeStream,
        ["DescribeStreamSummary"] = StreamAdminOperations.DescribeStreamSummary,
        ["ListStreams"] = StreamAdminOperations.ListStreams,
        ["ListShards"] = StreamAdminOperations.ListShards,
        ["IncreaseStreamRetentionPeriod"] = StreamAdminOperations.IncreaseStreamRetentionPeriod,
        ["DecreaseStreamRetentionPeriod"] = StreamAdminOperations.DecreaseStreamRetentionPeriod,
        ["UpdateStreamMode"] = StreamAdminOperations.UpdateStreamMode,
        ["AddTagsToStream"] = StreamTagOperations.AddTagsToStream,
        ["ListTagsForStream"] = StreamTagOperations.ListTagsForStream,
        ["RemoveTagsFromStream"] = StreamTagOperations.RemoveTagsFromStream,
        ["TagResource"] = StreamTagOperations.TagResource,
        ["UntagResource"] = StreamTagOperations.UntagResource,
        ["ListTagsForResource"] = StreamTagOperations.ListTagsForResource,
        ["PutRecord"] = RecordOperations.PutRecord,
        ["PutRecords"] = RecordOperations.PutRecords,
        ["GetShardIterator"] = RecordOperations.GetShardIterator,
        ["GetRecords"] = RecordOperations.GetRecords,
    };

    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/", HandleAsync);

    private static async Task HandleAsync(HttpContext http)
    {
        try
        {
            var target = http.Request.Headers["X-Amz-Target"].ToString();
            var operation = target.StartsWith(KinesisProtocol.TargetPrefix, StringComparison.Ordinal) ? target[KinesisProtocol.TargetPrefix.Length..] : null;
            if (operation is null || !Operations.TryGetValue(operation, out var handler))
            {
                throw new KinesisException("UnknownOperationException",
                    $"Operation '{target}' is not supported. Grid streams support Kinesis_20131202.{{{string.Join(", ", Operations.Keys)}}}.");
            }
            var options = http.RequestServices.GetRequiredService<IOptions<GridOptions>>().Value;
            var call = new KinesisCall(http, KinesisRequest.Parse(http.Body()), http.Caller().AccountId, options);
            await handler(call);
        }
        catch (KinesisException e)
        {
            await KinesisProtocol.WriteErrorAsync(http, e.Type, e.Message, e.Status);
        }
    }
}
