namespace Grid.Client;

/// <summary>
/// A typed invoke ran the function and it failed (X-Amz-Function-Error): the handler threw, timed out or crashed.
/// <see cref="ErrorType"/>, <see cref="ErrorMessage"/> and <see cref="StackTrace"/> come from the runtime's error document.
/// </summary>
public sealed class FunctionErrorException : Exception
{
    public FunctionErrorException(string message, string functionError, string? errorType, string? errorMessage, IReadOnlyList<string>? stackTrace,
        ReadOnlyMemory<byte> payload, string requestId, string? logTail)
        : base(message)
    {
        FunctionError = functionError;
        ErrorType = errorType;
        ErrorMessage = errorMessage;
        StackTrace = stackTrace;
        Payload = payload;
        RequestId = requestId;
        LogTail = logTail;
    }

    public FunctionErrorException()
        : this("The function failed.")
    {
    }

    public FunctionErrorException(string message)
        : this(message, "Unhandled", null, null, null, default, "", null)
    {
    }

    public FunctionErrorException(string message, Exception inner)
        : base(message, inner)
    {
        FunctionError = "Unhandled";
        RequestId = "";
    }

    /// <summary>"Unhandled" or "Handled".</summary>
    public string FunctionError { get; }

    public string? ErrorType { get; }

    public string? ErrorMessage { get; }

    /// <summary>The function's stack trace (hides <see cref="Exception.StackTrace"/>, which is the SDK's own).</summary>
    public new IReadOnlyList<string>? StackTrace { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    public string RequestId { get; }

    public string? LogTail { get; }
}
