using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Grid.Server.Model;

namespace Grid.Server.Execution;

/// <summary>
/// Grid's own python/node bootstraps talk over inherited pipes with length-prefixed frames instead of HTTP:
/// the process boundary is cheap, HTTP parsing on both sides of it is not. Layout in Runtimes/README.md.
/// </summary>
public sealed class FrameChannel : IRuntimeChannel
{
    private const byte Invoke = 0x01, Ready = 0x10, InitError = 0x11, Response = 0x12, Error = 0x13, Silent = 0x80;
    private readonly Stream _toRuntime;
    private readonly Stream _fromRuntime;
    private readonly LogPump _logs;
    private TaskCompletionSource<RuntimeReply>? _pending;
    private readonly TaskCompletionSource<RuntimeReply> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IntPtr _toRuntimeFd;
    private readonly int _toRuntimeCapacity;
    private volatile bool _exited;

    public FrameChannel(Stream toRuntime, Stream fromRuntime, LogPump logs)
    {
        _toRuntime = toRuntime;
        _fromRuntime = fromRuntime;
        _logs = logs;
        _toRuntimeFd = toRuntime is System.IO.Pipes.PipeStream pipe ? pipe.SafePipeHandle.DangerousGetHandle() : IntPtr.Zero;
        _toRuntimeCapacity = _toRuntimeFd == IntPtr.Zero ? -1 : Native.GrowPipe(_toRuntimeFd, 1 << 20);
        // Anonymous pipes have no async I/O on Unix: a blocking read on a dedicated thread wakes fastest and never
        // starves the thread pool, however many environments a node runs.
        new Thread(ReadLoop) { IsBackground = true, Name = "grid-frames" }.Start();
    }

    public Task<RuntimeReply> WaitReadyAsync(CancellationToken ct) => _ready.Task.WaitAsync(ct);

    public async Task<RuntimeReply> InvokeAsync(InvocationEvent invocation, CancellationToken ct)
    {
        if (_exited) return RuntimeReply.Exited();
        // Completed by the reader thread, which has nothing else to do: continuations may run on it.
        var pending = new TaskCompletionSource<RuntimeReply>();
        _pending = pending;
        var header = BuildHeader(invocation);
        var length = 4 + header.Length + invocation.Payload.Length;
        var frame = ArrayPool<byte>.Shared.Rent(5 + length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)length);
        frame[4] = Invoke;
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(5), (uint)header.Length);
        header.CopyTo(frame.AsSpan(9));
        invocation.Payload.Span.CopyTo(frame.AsSpan(9 + header.Length));
        try
        {
            if (FitsInPipe(5 + length))
            {
                _toRuntime.Write(frame, 0, 5 + length); // the pipe has room: returns at once
            }
            else
            {
                // Off the grain's thread: a runtime that stops reading its pipe must not be able to block the node.
                await Task.Run(() => _toRuntime.Write(frame, 0, 5 + length), CancellationToken.None).WaitAsync(ct);
            }
            ArrayPool<byte>.Shared.Return(frame);
        }
        catch (IOException)
        {
            return RuntimeReply.Exited();
        }
        // The reader thread waits for the log sentinel before it completes the reply, so the logs are complete.
        return await pending.Task.WaitAsync(ct);
    }

    public void OnExited()
    {
        _exited = true;
        _ready.TrySetResult(RuntimeReply.Exited());
        _pending?.TrySetResult(RuntimeReply.Exited());
    }

    private void ReadLoop()
    {
        var head = new byte[5];
        try
        {
            while (true)
            {
                _fromRuntime.ReadExactly(head);
                var length = BinaryPrimitives.ReadUInt32LittleEndian(head);
                var silent = (head[4] & Silent) != 0; // the runtime printed nothing itself this phase: no sentinel to wait for
                var type = (byte)(head[4] & ~Silent);
                RuntimeReply reply;
                if (length > CodeLimits.MaxResponseBytes)
                {
                    Discard(length);
                    reply = new RuntimeReply(ReplyKind.ResponseTooLarge, []);
                }
                else
                {
                    var body = length == 0 ? [] : new byte[length];
                    _fromRuntime.ReadExactly(body);
                    reply = type switch
                    {
                        Ready => new RuntimeReply(ReplyKind.Ready, body),
                        InitError => new RuntimeReply(ReplyKind.InitError, body),
                        Response => new RuntimeReply(ReplyKind.Response, body, ContentType: "application/json"),
                        Error => new RuntimeReply(ReplyKind.Error, body),
                        _ => throw new InvalidDataException($"Unknown frame type {type}"),
                    };
                }
                // The bootstrap writes a log sentinel before each reply frame that follows output: wait for that phase's logs to land.
                if (silent) _logs.WaitQuiet(TimeSpan.FromMilliseconds(50));
                else _logs.WaitPhaseEnd();
                if (reply.Kind is ReplyKind.Ready or ReplyKind.InitError)
                {
                    _ready.TrySetResult(reply);
                    if (reply.Kind == ReplyKind.InitError) _pending?.TrySetResult(reply);
                }
                else
                {
                    _pending?.TrySetResult(reply);
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException or InvalidDataException)
        {
            OnExited();
        }
    }

    private bool FitsInPipe(int bytes)
    {
        if (_toRuntimeCapacity <= 0) return false;
        var unread = Native.PipeUnread(_toRuntimeFd);
        return unread >= 0 && unread + bytes <= _toRuntimeCapacity;
    }

    private void Discard(uint length)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            var left = (long)length;
            while (left > 0)
            {
                var read = _fromRuntime.Read(scratch, 0, (int)Math.Min(left, scratch.Length));
                if (read == 0) throw new EndOfStreamException();
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static byte[] BuildHeader(InvocationEvent e)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("requestId", e.RequestId);
            json.WriteNumber("deadlineMs", e.DeadlineMs);
            json.WriteString("invokedFunctionArn", e.InvokedFunctionArn);
            if (e.TraceId is null) json.WriteNull("traceId"); else json.WriteString("traceId", e.TraceId);
            if (e.ClientContext is null) json.WriteNull("clientContext"); else json.WriteString("clientContext", e.ClientContext);
            if (e.CognitoIdentity is null) json.WriteNull("cognitoIdentity"); else json.WriteString("cognitoIdentity", e.CognitoIdentity);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        OnExited();
        try { await _toRuntime.DisposeAsync(); } catch (IOException) { }
        try { await _fromRuntime.DisposeAsync(); } catch (IOException) { }
    }
}
