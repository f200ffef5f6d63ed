using System.Text.Json;
using System.Text.RegularExpressions;
using Grid.Server.Hosting;

namespace Grid.Server.Streams;

/// <summary>One Kinesis call being answered: its request, the caller's account, and the services operations share.</summary>
public sealed partial class KinesisCall(HttpContext http, KinesisRequest request, string accountId, GridOptions options)
{
    public HttpContext Http { get; } = http;
    public KinesisRequest Request { get; } = request;
    public string AccountId { get; } = accountId;
    public GridOptions Options { get; } = options;
    public CancellationToken Aborted => Http.RequestAborted;

    public StreamLog Log => Http.RequestServices.GetRequiredService<StreamLog>();
    public StreamCatalog Catalog => Http.RequestServices.GetRequiredService<StreamCatalog>();
    public ShardIterators Iterators => Http.RequestServices.GetRequiredService<ShardIterators>();
    public long NowMs => Http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();

    public Task ReplyAsync(Action<Utf8JsonWriter> body) => KinesisProtocol.WriteAsync(Http, body);

    public Task ReplyEmptyAsync() => KinesisProtocol.WriteAsync(Http, _ => { });

    /// <summary>StreamName, validated as Kinesis does (1..128 of [a-zA-Z0-9_.-]).</summary>
    public string StreamName(bool required = true)
    {
        var name = Request.String("StreamName", 1, 128, required);
        if (name is not null && !NamePattern().IsMatch(name))
        {
            throw KinesisException.Validation(name, "streamName", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
        }
        return name ?? "";
    }

    /// <summary>The caller's stream named by StreamName or StreamARN; ResourceNotFoundException when there is none.</summary>
    public async Task<StreamInfo> StreamAsync()
    {
        var arn = Request.String("StreamARN", 1, 2048, required: false);
        var name = StreamName(required: false);
        if (arn is null && name.Length == 0)
        {
            throw KinesisException.InvalidArgument("Either StreamName or StreamARN must be provided.");
        }
        if (arn is not null) return await StreamByArnAsync("StreamARN", arn, name);
        return await Log.FindByNameAsync(AccountId, name, Aborted) ?? throw KinesisException.StreamNotFound(name, AccountId);
    }

    /// <summary>The caller's stream named by ResourceARN (TagResource, UntagResource, ListTagsForResource).</summary>
    public Task<StreamInfo> ResourceStreamAsync() =>
        StreamByArnAsync("ResourceARN", Request.String("ResourceARN", 1, 2048, required: true)!, name: "");

    private async Task<StreamInfo> StreamByArnAsync(string member, string arn, string name)
    {
        if (!StreamArns.TryParse(arn, out var arnAccount, out var arnName))
        {
            throw KinesisException.InvalidArgument($"{member} {arn} is not a Kinesis stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>).");
        }
        if (name.Length > 0 && name != arnName)
        {
            throw KinesisException.InvalidArgument($"StreamName {name} and {member} {arn} name different streams; give one of them.");
        }
        var byArn = arnAccount == AccountId ? await Log.FindByArnAsync(arn, Aborted) : null;
        return byArn ?? throw KinesisException.StreamNotFound(arnName, arnAccount);
    }

    /// <summary>ShardId (required), which must be one of <paramref name="stream"/>'s shards.</summary>
    public int Shard(StreamInfo stream, string member = "ShardId")
    {
        var id = Request.String(member, 1, 128, required: true)!;
        if (!ShardIds.TryParse(id, out var shard) || shard >= stream.ShardCount)
        {
            throw new KinesisException("ResourceNotFoundException",
                $"Shard {id} in stream {stream.Name} under account {stream.AccountId} does not exist. The stream has shards "
                + $"{ShardIds.Format(0)} to {ShardIds.Format(stream.ShardCount - 1)} (see ListShards).");
        }
        return shard;
    }

    [GeneratedRegex("^[a-zA-Z0-9_.-]+$")]
    private static partial Regex NamePattern();
}
