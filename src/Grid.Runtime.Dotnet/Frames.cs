using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Grid.Runtime.Dotnet;

/// <summary>
/// The node's side of the lean frame protocol (Execution/Runtimes/README.md): INVOKE frames arrive on fd 3,
/// READY / INIT_ERROR / RESPONSE / ERROR frames leave on fd 4, each preceded by the log sentinel on fd 2.
/// </summary>
internal sealed class Frames
{
    public const byte Invoke = 0x01, Ready = 0x10, InitError = 0x11, Response = 0x12, Error = 0x13;
    private static ReadOnlySpan<byte> Sentinel => "\0GRID-END\0\n"u8;

    private readonly FileStream _in = Open(3, FileAccess.Read);
    private readonly FileStream _out = Open(4, FileAccess.Write);
    private readonly FileStream _stderr = Open(2, FileAccess.Write);
    private readonly LogSink _logs;
    private readonly byte[] _head = new byte[5];

    public Frames(LogSink logs)
    {
        _logs = logs;
        // A subprocess the function starts must not hold the node's pipes open.
        Native.CloseOnExec(3);
        Native.CloseOnExec(4);
    }

    /// <summary>Reads the next INVOKE frame; null when the node closed the pipe (time to exit).</summary>
    public InvokeFrame? ReadInvoke()
    {
        while (true)
        {
            if (!TryReadExactly(_head)) return null;
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(_head);
            var body = length == 0 ? [] : new byte[length];
            if (!TryReadExactly(body)) return null;
            if (_head[4] != Invoke || length < 4) continue; // unknown frames are skipped, as the other bootstraps do
            var headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(body);
            if (headerLength > length - 4) throw new InvalidDataException($"INVOKE header length {headerLength} exceeds the frame ({length} bytes)");
            return new InvokeFrame(InvokeHeader.Parse(body.AsSpan(4, headerLength)), body.AsMemory(4 + headerLength));
        }
    }

    /// <summary>Flushes the function's log, writes the sentinel, then the frame: the node then has the phase's whole log.</summary>
    public void Send(byte type, ReadOnlySpan<byte> payload)
    {
        _logs.Flush();
        _stderr.Write(Sentinel);
        var frame = ArrayPool<byte>.Shared.Rent(5 + payload.Length);
        try
        {
            BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length);
            frame[4] = type;
            payload.CopyTo(frame.AsSpan(5));
            _out.Write(frame, 0, 5 + payload.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private bool TryReadExactly(Span<byte> buffer)
    {
        try
        {
            _in.ReadExactly(buffer);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    private static FileStream Open(int fd, FileAccess access) => new(new SafeFileHandle(fd, ownsHandle: false), access, bufferSize: 0);
}

internal sealed record InvokeFrame(InvokeHeader Header, ReadOnlyMemory<byte> Event);
