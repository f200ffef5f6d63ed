namespace Grid.Functions;

/// <summary>Log levels, in Microsoft.Extensions.Logging's order; the log line shows them as its short labels.</summary>
public enum FunctionLogLevel
{
    Trace = 0,
    Debug = 1,
    Information = 2,
    Warning = 3,
    Error = 4,
    Critical = 5,
    None = 6,
}
