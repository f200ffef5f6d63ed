namespace Grid.Functions;

/// <summary>
/// The function's logger. Each call writes one line to the function's log (as Lambda's .NET runtime does):
/// <c>&lt;UTC timestamp&gt;\t&lt;request id&gt;\t&lt;trce|dbug|info|warn|fail|crit&gt;\t&lt;message&gt;</c>.
/// Newlines inside a message become <c>\r</c>, so one call is one line. Levels below
/// <c>AWS_LAMBDA_HANDLER_LOG_LEVEL</c> (default Information) are dropped.
/// </summary>
public interface IFunctionLogger
{
    /// <summary>True when messages of this level are written.</summary>
    bool IsEnabled(FunctionLogLevel level);

    void Log(FunctionLogLevel level, string message);

    /// <summary>Writes the message, then the exception (type, message and stack trace) in the same line.</summary>
    void Log(FunctionLogLevel level, Exception exception, string message);

    void LogTrace(string message) => Log(FunctionLogLevel.Trace, message);

    void LogDebug(string message) => Log(FunctionLogLevel.Debug, message);

    void LogInformation(string message) => Log(FunctionLogLevel.Information, message);

    void LogWarning(string message) => Log(FunctionLogLevel.Warning, message);

    void LogError(string message) => Log(FunctionLogLevel.Error, message);

    void LogError(Exception exception, string message) => Log(FunctionLogLevel.Error, exception, message);

    void LogCritical(string message) => Log(FunctionLogLevel.Critical, message);
}
