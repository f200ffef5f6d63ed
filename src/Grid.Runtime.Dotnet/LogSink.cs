using System.Globalization;
using System.Text;
using Grid.Functions;
using Microsoft.Win32.SafeHandles;

namespace Grid.Runtime.Dotnet;

/// <summary>
/// The function's log: Lambda .NET's line format <c>timestamp\trequestId\tlevel\tmessage</c>, one write per line to
/// fd 1 (the node's log pipe), so lines from several threads never interleave.
/// </summary>
internal sealed class LogSink
{
    private readonly FileStream _out = new(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
    private readonly Lock _gate = new();
    private readonly List<ConsoleLogWriter> _writers = [];

    /// <summary>The invocation being served ("" during init); every line carries it.</summary>
    public string RequestId { get; set; } = "";

    /// <summary>Console.Out and Console.Error become log writers (info and fail lines, as on Lambda).</summary>
    public void CaptureConsole()
    {
        var stdout = new ConsoleLogWriter(this, FunctionLogLevel.Information);
        var stderr = new ConsoleLogWriter(this, FunctionLogLevel.Error);
        _writers.Add(stdout);
        _writers.Add(stderr);
        Console.SetOut(TextWriter.Synchronized(stdout));
        Console.SetError(TextWriter.Synchronized(stderr));
    }

    /// <summary>Writes one record; embedded newlines become \r so the record stays one line.</summary>
    public void Write(FunctionLogLevel level, ReadOnlySpan<char> message)
    {
        var line = new StringBuilder(message.Length + 64)
            .Append(DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append('\t')
            .Append(RequestId).Append('\t')
            .Append(Label(level)).Append('\t');
        var start = line.Length;
        line.Append(message).Replace('\n', '\r', start, line.Length - start).Append('\n');
        var bytes = Encoding.UTF8.GetBytes(line.ToString());
        lock (_gate)
        {
            try { _out.Write(bytes); }
            catch (IOException) { } // the node is gone; the process ends with its pipes
        }
    }

    /// <summary>Writes any half-written console line, so it lands before the phase's sentinel.</summary>
    public void Flush()
    {
        foreach (var writer in _writers) writer.Flush();
    }

    private static string Label(FunctionLogLevel level) => level switch
    {
        FunctionLogLevel.Trace => "trce",
        FunctionLogLevel.Debug => "dbug",
        FunctionLogLevel.Information => "info",
        FunctionLogLevel.Warning => "warn",
        FunctionLogLevel.Error => "fail",
        FunctionLogLevel.Critical => "crit",
        _ => level.ToString(),
    };
}
