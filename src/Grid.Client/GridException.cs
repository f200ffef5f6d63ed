namespace Grid.Client;

/// <summary>
/// The node refused or failed a call: <see cref="ErrorType"/> is Lambda's error type (e.g. InvalidParameterValueException,
/// UnrecognizedClientException), with the HTTP status and the node's request id.
/// </summary>
public class GridException : Exception
{
    public GridException(string message, int statusCode, string errorType, string? requestId, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        ErrorType = errorType;
        RequestId = requestId;
    }

    public GridException()
        : this("The Grid call failed.", 0, "Unknown", null)
    {
    }

    public GridException(string message)
        : this(message, 0, "Unknown", null)
    {
    }

    public GridException(string message, Exception inner)
        : this(message, 0, "Unknown", null, inner)
    {
    }

    public int StatusCode { get; }

    public string ErrorType { get; }

    public string? RequestId { get; }

    /// <summary>The node's own message, without the SDK's advice.</summary>
    public string? ServerMessage { get; init; }

    /// <summary>Whether the retry pipeline may send the call again (throttles; failures of reads).</summary>
    internal bool Retryable { get; init; }
}

/// <summary>404 ResourceNotFoundException: the function, version or alias does not exist.</summary>
public sealed class GridNotFoundException : GridException
{
    public GridNotFoundException(string message, int statusCode, string errorType, string? requestId)
        : base(message, statusCode, errorType, requestId)
    {
    }

    public GridNotFoundException()
    {
    }

    public GridNotFoundException(string message)
        : base(message)
    {
    }

    public GridNotFoundException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>429 TooManyRequestsException, still refused after the configured retries.</summary>
public sealed class GridThrottledException : GridException
{
    public GridThrottledException(string message, int statusCode, string errorType, string? requestId, string? reason, TimeSpan? retryAfter, int attempts)
        : base(message, statusCode, errorType, requestId)
    {
        Reason = reason;
        RetryAfter = retryAfter;
        Attempts = attempts;
    }

    public GridThrottledException()
    {
    }

    public GridThrottledException(string message)
        : base(message)
    {
    }

    public GridThrottledException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>e.g. ReservedFunctionConcurrentInvocationLimitExceeded, ConcurrentInvocationLimitExceeded.</summary>
    public string? Reason { get; }

    /// <summary>The node's Retry-After, if it sent one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>How many requests were sent, all throttled.</summary>
    public int Attempts { get; }
}
