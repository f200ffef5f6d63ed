namespace Grid.Runtime.Dotnet;

/// <summary>
/// A failure the host reports with one of Lambda's runtime error types (Runtime.MalformedHandlerName,
/// Runtime.ImportModuleError, Runtime.UnmarshalError, ...) instead of an exception's type name.
/// </summary>
internal sealed class RuntimeFailure(string errorType, string message, Exception? inner = null) : Exception(message, inner)
{
    public string ErrorType { get; } = errorType;
}
