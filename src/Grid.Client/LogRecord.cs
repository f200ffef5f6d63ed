namespace Grid.Client;

/// <summary>One invocation's log (START/END/REPORT lines and the function's output).</summary>
public sealed record LogRecord(DateTimeOffset Timestamp, string RequestId, string Message);
