using System.Globalization;

namespace Grid.Runtime.Dotnet;

/// <summary>What the node tells every invocation of this environment through Lambda's environment variables.</summary>
internal sealed record FunctionEnvironment(string FunctionName, string FunctionVersion, int MemoryLimitInMB, string LogGroupName, string LogStreamName)
{
    public static FunctionEnvironment FromVariables() => new(
        Variable("AWS_LAMBDA_FUNCTION_NAME"),
        Variable("AWS_LAMBDA_FUNCTION_VERSION"),
        int.TryParse(Variable("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var mb) ? mb : 128,
        Variable("AWS_LAMBDA_LOG_GROUP_NAME"),
        Variable("AWS_LAMBDA_LOG_STREAM_NAME"));

    private static string Variable(string name) => Environment.GetEnvironmentVariable(name) ?? "";
}
