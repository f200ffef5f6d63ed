using System.Diagnostics;
using Grid.Server.Storage;

namespace Grid.Server.Execution;

/// <summary>How one invocation ended, as the environment saw it.</summary>
public enum OutcomeKind { Success, FunctionError, Timeout, Exited, ResponseTooLarge }

public sealed record InvocationOutcome(OutcomeKind Kind, byte[] Body, string Logs, double DurationMs, string? ContentType, string? ErrorType);

/// <summary>
/// One warm instance: a sandboxed runtime process, the channel to it and its output. Runs one invocation at a time;
/// a timeout or crash ends it (the next invocation gets a fresh one).
/// </summary>
public sealed class ExecutionEnvironment : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Cgroup? _cgroup;
    private readonly string _scratch;
    private readonly Action<ExecutionEnvironment> _onDisposed;
    private int _disposed;

    internal ExecutionEnvironment(string id, FunctionRecord function, Process process, IRuntimeChannel channel, LogPump logs,
        Cgroup? cgroup, string scratch, Action<ExecutionEnvironment> onDisposed)
    {
        Id = id;
        Function = function;
        _process = process;
        Channel = channel;
        Logs = logs;
        _cgroup = cgroup;
        _scratch = scratch;
        _onDisposed = onDisposed;
        LogStreamName = $"{DateTime.UtcNow:yyyy/MM/dd}/[{function.Version}]{id}";
    }

    public string Id { get; }
    public FunctionRecord Function { get; }
    public IRuntimeChannel Channel { get; }
    public LogPump Logs { get; }
    public string LogStreamName { get; }
    public double InitDurationMs { get; internal set; }

    /// <summary>starting (init running), idle (warm) or busy (running an invocation): the environments gauge.</summary>
    public string State => !Initialized ? "starting" : Busy ? "busy" : "idle";
    internal volatile bool Initialized;
    /// <summary>When the environment last finished an invocation (Environment.TickCount64): idle release.</summary>
    public long LastUsed { get; set; } = Environment.TickCount64;
    private volatile bool Busy;
    public bool HasExited => _disposed != 0 || _process.HasExited;
    public int ProcessId => _process.Id;

    public async Task<InvocationOutcome> InvokeAsync(InvocationEvent invocation, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = new CancellationTokenSource(timeout);
        RuntimeReply reply;
        Busy = true;
        try
        {
            reply = await Channel.InvokeAsync(invocation, deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            return new InvocationOutcome(OutcomeKind.Timeout, [], Logs.TakePhase(), timeout.TotalMilliseconds, null, "Sandbox.Timedout");
        }
        finally
        {
            Busy = false;
        }
        var duration = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (reply.Kind == ReplyKind.Exited)
        {
            await WaitForExitAsync();
        }
        else if (Channel is RuntimeApi.HttpRuntimeChannel)
        {
            await Logs.WaitDrainedAsync(TimeSpan.FromMilliseconds(50)); // stock runtimes mark no end of output
        }
        var logs = Logs.TakePhase();
        return reply.Kind switch
        {
            ReplyKind.Response => new InvocationOutcome(OutcomeKind.Success, reply.Body, logs, duration, reply.ContentType, null),
            ReplyKind.Error or ReplyKind.InitError => new InvocationOutcome(OutcomeKind.FunctionError, reply.Body, logs, duration, "application/json", reply.ErrorType),
            ReplyKind.ResponseTooLarge => new InvocationOutcome(OutcomeKind.ResponseTooLarge, [], logs, duration, null, "Function.ResponseSizeTooLarge"),
            _ => new InvocationOutcome(OutcomeKind.Exited, [], logs, duration, null, ExitReason().Type),
        };
    }

    /// <summary>Why the process ended, in Lambda's words: (errorType, "Runtime exited ..." text).</summary>
    public (string Type, string Message) ExitReason()
    {
        if (!_process.HasExited) return ("Runtime.ExitError", "Runtime exited without providing a reason");
        var code = _process.ExitCode;
        var oom = _cgroup?.OomKilled() == true;
        // /bin/sh reports a child killed by signal N as 128+N; exec'd runtimes surface it the same way through Process.
        var text = code switch
        {
            0 => "Runtime exited without providing a reason",
            > 128 and < 160 => $"Runtime exited with error: signal: {SignalName(code - 128)}",
            _ => $"Runtime exited with error: exit status {code}",
        };
        return (oom ? "Runtime.OutOfMemory" : "Runtime.ExitError", text);
    }

    public int MaxMemoryUsedMb()
    {
        long bytes = _cgroup?.PeakBytes() ?? 0;
        if (bytes == 0 && _disposed == 0) bytes = ProcessTreePeakBytes(_process.Id);
        return (int)Math.Ceiling(bytes / (1024.0 * 1024.0));
    }

    private async Task WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
    }

    private void Kill()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Kill();
        _cgroup?.Dispose();
        await Channel.DisposeAsync();
        await WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _onDisposed(this);
    }

    private static string SignalName(int signal) => signal switch
    {
        9 => "killed", 15 => "terminated", 11 => "segmentation fault", 6 => "aborted", 2 => "interrupt", 7 => "bus error", 8 => "floating point exception",
        _ => $"signal {signal}",
    };

    /// <summary>Without cgroups: the largest VmHWM among the process and its descendants.</summary>
    private static long ProcessTreePeakBytes(int root)
    {
        long peak = 0;
        var pending = new Stack<int>([root]);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 256)
        {
            var pid = pending.Pop();
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal)
                        && long.TryParse(line[6..].Trim().Split(' ')[0], out var kb))
                    {
                        peak = Math.Max(peak, kb * 1024);
                    }
                }
                foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (int.TryParse(child, out var c)) pending.Push(c);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return peak;
    }
}
