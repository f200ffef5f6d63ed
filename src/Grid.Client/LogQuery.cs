namespace Grid.Client;

/// <summary>Which invocation log records to read.</summary>
public sealed class LogQuery
{
    public string? RequestId { get; set; }

    public DateTimeOffset? Start { get; set; }

    public DateTimeOffset? End { get; set; }

    /// <summary>At most this many stored records (the node's default is 100, its maximum 10,000).</summary>
    public int? Limit { get; set; }

    /// <summary>Keep the stream open and yield new records as invocations finish, until the caller cancels.</summary>
    public bool Follow { get; set; }
}
