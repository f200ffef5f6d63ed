using Grid.Functions;

namespace Grid.Runtime.Dotnet;

/// <summary>The context's logger: Lambda .NET's level names and minimum level variable.</summary>
internal sealed class FunctionLogger(LogSink sink) : IFunctionLogger
{
    private readonly FunctionLogLevel _minimum = MinimumLevel();

    public bool IsEnabled(FunctionLogLevel level) => level >= _minimum && level != FunctionLogLevel.None;

    public void Log(FunctionLogLevel level, string message)
    {
        if (IsEnabled(level)) sink.Write(level, message);
    }

    public void Log(FunctionLogLevel level, Exception exception, string message)
    {
        if (IsEnabled(level)) sink.Write(level, string.IsNullOrEmpty(message) ? exception.ToString() : message + "\n" + exception);
    }

    private static FunctionLogLevel MinimumLevel()
    {
        var configured = Environment.GetEnvironmentVariable("AWS_LAMBDA_HANDLER_LOG_LEVEL") ?? Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_LEVEL");
        return configured?.ToUpperInvariant() switch
        {
            "TRACE" => FunctionLogLevel.Trace,
            "DEBUG" => FunctionLogLevel.Debug,
            "WARN" or "WARNING" => FunctionLogLevel.Warning,
            "ERROR" => FunctionLogLevel.Error,
            "FATAL" or "CRITICAL" => FunctionLogLevel.Critical,
            _ => FunctionLogLevel.Information,
        };
    }
}
