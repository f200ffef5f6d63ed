namespace Grid.Functions;

/// <summary>
/// What a handler knows about the invocation it serves and the environment it runs in: Lambda's context object,
/// as Grid hands it to C# handlers. Take it as a handler parameter (any position).
/// </summary>
public interface IFunctionContext
{
    /// <summary>The invocation's id (Lambda's <c>AwsRequestId</c>); it is also in the log lines and the REPORT line.</summary>
    string RequestId { get; }

    /// <summary>The function's name (AWS_LAMBDA_FUNCTION_NAME).</summary>
    string FunctionName { get; }

    /// <summary>The version that runs: <c>$LATEST</c> or a published version number.</summary>
    string FunctionVersion { get; }

    /// <summary>The ARN the caller invoked, with the qualifier (version or alias) when it named one.</summary>
    string InvokedFunctionArn { get; }

    /// <summary>The function's memory size in MB (its memory limit).</summary>
    int MemoryLimitInMB { get; }

    /// <summary>When the invocation times out (the environment is then stopped).</summary>
    DateTimeOffset Deadline { get; }

    /// <summary>Time left until <see cref="Deadline"/> (never negative).</summary>
    TimeSpan RemainingTime { get; }

    /// <summary>Cancelled shortly before the deadline (500 ms, or a tenth of the timeout when that is shorter), so work can stop cleanly.</summary>
    CancellationToken CancellationToken { get; }

    string LogGroupName { get; }

    string LogStreamName { get; }

    /// <summary>The X-Ray trace header of this invocation (<c>Root=...;Parent=...;Sampled=...</c>), or null.</summary>
    string? TraceId { get; }

    /// <summary>The client context the caller sent (<c>--client-context</c>), or null.</summary>
    ClientContext? ClientContext { get; }

    /// <summary>The Cognito identity the caller sent, or null.</summary>
    CognitoIdentity? Identity { get; }

    /// <summary>Writes Lambda-style log lines (timestamp, request id, level, message) to the function's log.</summary>
    IFunctionLogger Logger { get; }
}
