using System.Text.Json;

namespace Grid.Runtime.Dotnet;

/// <summary>
/// Errors as Lambda's .NET runtime reports them: <c>{"errorType":"&lt;exception type name&gt;","errorMessage":"...",
/// "stackTrace":["at ..."],"cause":{...}}</c>; the host's own frames are left out of the stack trace.
/// </summary>
internal static class ErrorJson
{
    public static byte[] From(Exception exception)
    {
        exception = Unwrap(exception);
        return Write(w => WriteException(w, exception, depth: 0));
    }

    public static byte[] From(string errorType, string message) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("errorType", errorType);
        w.WriteString("errorMessage", message);
        w.WriteEndObject();
    });

    /// <summary>The exception the function threw, not the reflection or aggregate wrapper around it.</summary>
    public static Exception Unwrap(Exception exception)
    {
        while (true)
        {
            switch (exception)
            {
                case System.Reflection.TargetInvocationException { InnerException: { } inner }: exception = inner; break;
                case AggregateException { InnerExceptions.Count: 1 } aggregate: exception = aggregate.InnerExceptions[0]; break;
                default: return exception;
            }
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream(512);
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        return buffer.ToArray();
    }

    private static void WriteException(Utf8JsonWriter w, Exception exception, int depth)
    {
        w.WriteStartObject();
        w.WriteString("errorType", exception is RuntimeFailure init ? init.ErrorType : exception.GetType().Name);
        w.WriteString("errorMessage", exception.Message);
        w.WriteStartArray("stackTrace");
        foreach (var frame in UserFrames(exception)) w.WriteStringValue(frame);
        w.WriteEndArray();
        if (exception.InnerException is { } cause && depth < 8 && exception is not RuntimeFailure)
        {
            w.WritePropertyName("cause");
            WriteException(w, cause, depth + 1);
        }
        w.WriteEndObject();
    }

    private static IEnumerable<string> UserFrames(Exception exception) =>
        (exception.StackTrace ?? "").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith("at Grid.Runtime.Dotnet.", StringComparison.Ordinal)
                           && !line.StartsWith("at System.Reflection.", StringComparison.Ordinal)
                           && !line.StartsWith("at System.RuntimeMethodHandle.", StringComparison.Ordinal)
                           && !line.StartsWith("at System.Runtime.CompilerServices.", StringComparison.Ordinal)
                           && !line.StartsWith("---", StringComparison.Ordinal));
}
