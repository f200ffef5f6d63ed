using System.Text.Json;
using System.Text.RegularExpressions;
using Grid.Server.Api;
using Grid.Server.Model;

namespace Grid.Server.Control;

/// <summary>Lambda's validation rules for function configuration, with Lambda's error types and texts.</summary>
public static partial class FunctionValidator
{
    /// <summary>Every runtime identifier Lambda's API knows (the enum the error message lists).</summary>
    public static readonly string[] KnownRuntimes =
    [
        "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x",
        "java8", "java8.al2", "java11", "python2.7", "python3.6", "python3.7", "python3.8", "python3.9",
        "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "nodejs4.3-edge",
        "go1.x", "ruby2.5", "ruby2.7", "provided", "provided.al2", "nodejs18.x", "python3.10", "java17", "ruby3.2",
        "ruby3.3", "ruby3.4", "python3.11", "nodejs20.x", "provided.al2023", "python3.12", "java21", "python3.13",
        "nodejs22.x", "nodejs24.x", "python3.14", "java25", "dotnet10",
    ];

    /// <summary>Runtimes Grid runs: python on the host's python3, node on the host's node, dotnet* on the node's .NET, provided = the package's bootstrap.</summary>
    public static bool IsSupported(string runtime) =>
        runtime.StartsWith("python3.", StringComparison.Ordinal) && runtime != "python3.6" && runtime != "python3.7"
        || runtime.StartsWith("nodejs", StringComparison.Ordinal) && runtime.EndsWith(".x", StringComparison.Ordinal) && runtime is not ("nodejs10.x" or "nodejs12.x" or "nodejs14.x")
        || runtime.StartsWith("provided", StringComparison.Ordinal)
        || runtime.StartsWith("dotnet", StringComparison.Ordinal);

    public static readonly HashSet<string> ReservedVariables =
    [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
    ];

    private const string RolePattern = @"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+";

    [GeneratedRegex("^" + RolePattern + "$")]
    private static partial Regex RoleRegex();

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9_]*$")]
    private static partial Regex VariableNameRegex();

    [GeneratedRegex(@"^[^\s]+$")]
    private static partial Regex HandlerRegex();

    public static void Role(string? role)
    {
        if (role is null) throw Errors.Validation("null", "role", "Member must not be null");
        if (!RoleRegex().IsMatch(role)) throw Errors.Validation(role, "role", "Member must satisfy regular expression pattern: " + RolePattern);
    }

    public static void Runtime(string runtime)
    {
        if (!KnownRuntimes.Contains(runtime))
        {
            throw Errors.InvalidParameter(
                $"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", KnownRuntimes)}] or be a valid ARN");
        }
        if (!IsSupported(runtime))
        {
            throw Errors.InvalidParameter(
                $"The runtime parameter of {runtime} is not supported by Grid for creating or updating functions. Use python3.8 or later, nodejs16.x or later, dotnet8 or dotnet10 (any dotnet*), or provided / provided.al2 / provided.al2023.");
        }
    }

    public static void Handler(string? handler)
    {
        if (handler is null) return;
        if (handler.Length > 128) throw Errors.Validation(handler, "handler", "Member must have length less than or equal to 128");
        if (!HandlerRegex().IsMatch(handler)) throw Errors.Validation(handler, "handler", @"Member must satisfy regular expression pattern: [^\s]+");
    }

    public static void Memory(int memory)
    {
        if (memory < 128) throw Errors.Validation(memory.ToString(), "memorySize", "Member must have value greater than or equal to 128");
        if (memory > 10240) throw Errors.Validation(memory.ToString(), "memorySize", "Member must have value less than or equal to 10240");
    }

    public static void Timeout(int timeout)
    {
        if (timeout < 1) throw Errors.Validation(timeout.ToString(), "timeout", "Member must have value greater than or equal to 1");
        if (timeout > 900) throw Errors.Validation(timeout.ToString(), "timeout", "Member must have value less than or equal to 900");
    }

    public static void EphemeralStorage(int size)
    {
        if (size < 512) throw Errors.Validation(size.ToString(), "ephemeralStorage.size", "Member must have value greater than or equal to 512");
        if (size > 10240) throw Errors.Validation(size.ToString(), "ephemeralStorage.size", "Member must have value less than or equal to 10240");
    }

    public static void Description(string? description)
    {
        if (description is { Length: > 256 }) throw Errors.Validation(description, "description", "Member must have length less than or equal to 256");
    }

    public static void Architectures(List<string>? architectures)
    {
        if (architectures is null) return;
        if (architectures.Count != 1) throw Errors.Validation($"[{string.Join(", ", architectures)}]", "architectures", "Member must have length less than or equal to 1");
        if (architectures[0] is not ("x86_64" or "arm64"))
        {
            throw Errors.Validation($"[{architectures[0]}]", "architectures", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]");
        }
    }

    public static void Environment(Dictionary<string, string>? variables)
    {
        if (variables is null) return;
        var reserved = variables.Keys.Where(ReservedVariables.Contains).ToList();
        if (reserved.Count > 0)
        {
            throw Errors.InvalidParameter(
                "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: "
                + string.Join(", ", reserved));
        }
        foreach (var key in variables.Keys)
        {
            if (!VariableNameRegex().IsMatch(key))
            {
                throw Errors.Validation(key, "environment.variables", "Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]*");
            }
        }
        var measured = JsonSerializer.Serialize(variables, GridJsonContext.Default.DictionaryStringString);
        if (System.Text.Encoding.UTF8.GetByteCount(measured) > 4096)
        {
            throw Errors.InvalidParameter(
                $"Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {measured}");
        }
    }

    public static void Tags(Dictionary<string, string>? tags)
    {
        if (tags is null) return;
        if (tags.Count > 50) throw Errors.InvalidParameter("Number of tags exceeds resource tag limit.");
        foreach (var (k, v) in tags)
        {
            if (k.Length is 0 or > 128 || k.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
                throw Errors.InvalidParameter($"The tag key '{k}' is invalid: 1-128 characters, not starting with 'aws:'.");
            if (v.Length > 256) throw Errors.InvalidParameter($"The value of tag '{k}' must be 256 characters or fewer.");
        }
    }
}
