using System.Text;

namespace Grid.Server.Execution;

/// <summary>
/// Drains a runtime's output pipe (stdout and stderr share it) so a chatty function never blocks, keeps what the
/// current phase printed up to a cap, and spots the sentinel Grid's bootstraps write at the end of each phase.
/// </summary>
public sealed class LogPump
{
    public static readonly byte[] Sentinel = "\0GRID-END\0\n"u8.ToArray();
    public const int MaxBytesPerPhase = 256 * 1024;

    private readonly object _gate = new();
    private readonly MemoryStream _phase = new();
    private bool _truncated;
    private int _sentinelsSeen;
    private int _sentinelsTaken;
    private bool _eof;
    private readonly IntPtr _fd;
    private volatile bool _processing; // a read returned and its bytes are not appended yet

    public LogPump(Stream output)
    {
        _fd = output is System.IO.Pipes.PipeStream pipe ? pipe.SafePipeHandle.DangerousGetHandle() : IntPtr.Zero;
        new Thread(() => Pump(output)) { IsBackground = true, Name = "grid-logs" }.Start(); // see FrameChannel: pipes block
    }

    /// <summary>
    /// For runtimes that mark no end of output (stock Runtime API clients): what the process printed before it sent
    /// its response is already in the pipe, so wait, at most <paramref name="limit"/>, until the pipe is empty and the
    /// pump has appended its last read.
    /// </summary>
    public async Task WaitDrainedAsync(TimeSpan limit)
    {
        if (_fd == IntPtr.Zero) return;
        var deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        while (Unsettled(deadline)) await Task.Delay(1);
    }

    /// <summary>Output written before now is still in the pipe or being appended (and the deadline has not passed).</summary>
    private bool Unsettled(long deadline) =>
        (_processing || Native.PipeUnread(_fd) > 0) && !Volatile.Read(ref _eof) && Environment.TickCount64 < deadline;

    /// <summary>Blocks until the runtime marked the end of the current phase (or its output closed). Reader threads only.</summary>
    public void WaitPhaseEnd()
    {
        lock (_gate)
        {
            while (_sentinelsSeen <= _sentinelsTaken && !_eof)
            {
                Monitor.Wait(_gate);
            }
            if (_sentinelsSeen > _sentinelsTaken) _sentinelsTaken++;
        }
    }

    /// <summary>
    /// For a reply whose runtime printed nothing itself (no sentinel): what anything else wrote before the reply (a
    /// subprocess, a native library) is already in the pipe, so wait, at most <paramref name="limit"/>, until the pump
    /// has taken it. Usually one ioctl: the pipe is empty. Reader threads only.
    /// </summary>
    public void WaitQuiet(TimeSpan limit)
    {
        if (_fd == IntPtr.Zero) return;
        var deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        while (Unsettled(deadline)) Thread.Sleep(1);
    }

    /// <summary>Waits, at most <paramref name="limit"/>, for the output to close (a runtime that failed init and exits).</summary>
    public void WaitForEnd(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        lock (_gate)
        {
            while (!_eof && DateTime.UtcNow < deadline)
            {
                Monitor.Wait(_gate, deadline - DateTime.UtcNow);
            }
        }
    }

    /// <summary>Takes what was printed since the last call (text, with a note if it was cut).</summary>
    public string TakePhase()
    {
        lock (_gate)
        {
            var text = Encoding.UTF8.GetString(_phase.GetBuffer(), 0, (int)_phase.Length);
            if (_truncated) text += $"\n[Grid: output of this invocation exceeded {MaxBytesPerPhase / 1024} KB; the rest was dropped]\n";
            _phase.SetLength(0);
            _truncated = false;
            return text;
        }
    }

    private void Pump(Stream output)
    {
        var buffer = new byte[16384];
        var carry = 0; // bytes at the start of buffer kept from the last read (a possible sentinel prefix)
        try
        {
            while (true)
            {
                var read = output.Read(buffer, carry, buffer.Length - carry);
                _processing = true;
                if (read == 0) break;
                var length = carry + read;
                var start = 0;
                while (true)
                {
                    var at = buffer.AsSpan(start, length - start).IndexOf(Sentinel);
                    if (at < 0) break;
                    Append(buffer.AsSpan(start, at));
                    start += at + Sentinel.Length;
                    MarkSentinel();
                }
                // Keep a tail that could be the start of a sentinel split across reads.
                var keep = Math.Min(Sentinel.Length - 1, length - start);
                var tailStart = length - keep;
                while (keep > 0 && !Sentinel.AsSpan().StartsWith(buffer.AsSpan(tailStart, keep)))
                {
                    tailStart++;
                    keep--;
                }
                Append(buffer.AsSpan(start, tailStart - start));
                buffer.AsSpan(tailStart, keep).CopyTo(buffer);
                carry = keep;
                _processing = false;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _eof = true;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        lock (_gate)
        {
            var room = MaxBytesPerPhase - (int)_phase.Length;
            if (bytes.Length > room)
            {
                _truncated = true;
                bytes = bytes[..Math.Max(room, 0)];
            }
            _phase.Write(bytes);
        }
    }

    private void MarkSentinel()
    {
        lock (_gate)
        {
            _sentinelsSeen++;
            Monitor.PulseAll(_gate);
        }
    }
}
