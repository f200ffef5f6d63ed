using System.Text;
using Grid.Functions;

namespace Grid.Runtime.Dotnet;

/// <summary>Console.Out / Console.Error for the function: collects characters and writes each finished line as a log record.</summary>
internal sealed class ConsoleLogWriter(LogSink sink, FunctionLogLevel level) : TextWriter
{
    private readonly StringBuilder _line = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_line)
        {
            if (value == '\n') Emit();
            else if (value != '\r') _line.Append(value);
        }
    }

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        lock (_line)
        {
            while (!buffer.IsEmpty)
            {
                var newline = buffer.IndexOf('\n');
                if (newline < 0)
                {
                    _line.Append(buffer);
                    return;
                }
                _line.Append(buffer[..newline]);
                Emit();
                buffer = buffer[(newline + 1)..];
            }
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value.AsSpan());
        Write('\n');
    }

    public override void Flush()
    {
        lock (_line)
        {
            if (_line.Length > 0) Emit();
        }
    }

    private void Emit()
    {
        var length = _line.Length;
        if (length > 0 && _line[length - 1] == '\r') length--;
        sink.Write(level, _line.ToString(0, length));
        _line.Clear();
    }
}
