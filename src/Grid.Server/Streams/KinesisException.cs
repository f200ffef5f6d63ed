namespace Grid.Server.Streams;

/// <summary>An error answered in Kinesis's JSON 1.1 shape: HTTP 400 (unless said otherwise) and {"__type": ..., "message": ...}.</summary>
public sealed class KinesisException(string type, string message, int status = StatusCodes.Status400BadRequest) : Exception(message)
{
    public string Type { get; } = type;
    public int Status { get; } = status;

    public static KinesisException StreamNotFound(string name, string account) =>
        new("ResourceNotFoundException", $"Stream {name} under account {account} not found.");

    public static KinesisException InvalidArgument(string message) => new("InvalidArgumentException", message);

    /// <summary>Kinesis's constraint message, e.g. "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1".</summary>
    public static KinesisException Validation(string value, string member, string constraint) =>
        new("ValidationException", $"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}");
}
