namespace Grid.Server.Execution;

/// <summary>What a runtime is handed for one invocation (the Runtime API's /next, or an INVOKE frame).</summary>
public sealed record InvocationEvent(
    string RequestId,
    long DeadlineMs,
    string InvokedFunctionArn,
    string? TraceId,
    string? ClientContext,
    string? CognitoIdentity,
    ReadOnlyMemory<byte> Payload);

/// <summary>How a runtime answered one phase (init or invoke).</summary>
public enum ReplyKind { Ready, Response, Error, InitError, ResponseTooLarge, Exited }

public readonly record struct RuntimeReply(ReplyKind Kind, byte[] Body, string? ErrorType = null, string? ContentType = null)
{
    public static RuntimeReply Exited() => new(ReplyKind.Exited, []);
}

/// <summary>The conversation between the node and one runtime process, whatever carries it.</summary>
public interface IRuntimeChannel : IAsyncDisposable
{
    /// <summary>Completes when the runtime finished init (ready for its first event), failed init, or exited.</summary>
    Task<RuntimeReply> WaitReadyAsync(CancellationToken ct);

    /// <summary>Hands the event over and completes with the runtime's answer.</summary>
    Task<RuntimeReply> InvokeAsync(InvocationEvent invocation, CancellationToken ct);

    /// <summary>The runtime process is gone: fail whatever is waiting.</summary>
    void OnExited();
}
