namespace Grid.Server.Execution;

/// <summary>An environment could not even start its runtime (e.g. a provided package without a bootstrap).</summary>
public sealed class InitFailureException(string errorType, string message) : Exception(message)
{
    public string ErrorType { get; } = errorType;
}
