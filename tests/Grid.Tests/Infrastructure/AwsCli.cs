using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Grid.Tests.Infrastructure;

/// <summary>What one <c>aws</c> command returned.</summary>
public sealed partial record CliResult(ProcessResult Process)
{
    public bool Succeeded => Process.ExitCode == 0;

    /// <summary>The JSON the CLI printed (null when it printed nothing).</summary>
    public JsonNode? Json => string.IsNullOrWhiteSpace(Process.StandardOutput) ? null : JsonNode.Parse(Process.StandardOutput);

    /// <summary>The error code from "An error occurred (Code) when calling ...", or null.</summary>
    public string? ErrorCode => ErrorPattern().Match(Process.StandardError) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The error message after the operation name.</summary>
    public string? ErrorMessage => ErrorPattern().Match(Process.StandardError) is { Success: true } m ? m.Groups[2].Value.Trim() : null;

    [GeneratedRegex(@"An error occurred \(([A-Za-z.]+)\)(?: \([^)]*\))? when calling the \w+ operation(?: \(reached max retries: \d+\))?: (.*)", RegexOptions.Singleline)]
    private static partial Regex ErrorPattern();

    public override string ToString() => Process.ToString();
}

/// <summary>
/// The real AWS CLI (Debian's awscli, /usr/bin/aws) pointed at a Grid node with one access key. Retries are
/// off so that a test sees exactly what the node answered.
/// </summary>
public sealed class AwsCli(string endpoint, Credentials credentials)
{
    public const string Executable = "/usr/bin/aws";

    public Credentials Credentials => credentials;

    public AwsCli With(Credentials other) => new(endpoint, other);

    public async Task<CliResult> RunAsync(params string[] arguments)
    {
        var environment = new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = credentials.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = credentials.SecretAccessKey,
            ["AWS_SESSION_TOKEN"] = null,
            ["AWS_PROFILE"] = null,
            ["AWS_DEFAULT_REGION"] = "us-east-1",
            ["AWS_MAX_ATTEMPTS"] = "1",
            ["AWS_RETRY_MODE"] = "standard",
            ["AWS_PAGER"] = "",
            ["AWS_CONFIG_FILE"] = "/nonexistent",
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        };
        var result = await ProcessRunner.RunAsync(Executable,
            ["--endpoint-url", endpoint, "--output", "json", .. arguments], environment, timeout: TimeSpan.FromMinutes(3));
        return new CliResult(result);
    }

    /// <summary>Runs a command that must succeed and returns its JSON output.</summary>
    public async Task<JsonNode> OkAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        if (!result.Succeeded) throw new Xunit.Sdk.XunitException("aws failed:\n" + result);
        return result.Json ?? new JsonObject();
    }

    /// <summary>Runs a command that must fail with the given error code; returns the result for more checks.</summary>
    public async Task<CliResult> FailsAsync(string errorCode, params string[] arguments)
    {
        var result = await RunAsync(arguments);
        if (result.Succeeded || result.ErrorCode != errorCode)
        {
            throw new Xunit.Sdk.XunitException($"expected {errorCode}, got:\n{result}");
        }
        return result;
    }
}

/// <summary>What <c>aws lambda invoke</c> printed, plus the payload it wrote to its output file.</summary>
public sealed record InvokeResult(JsonNode Metadata, string Payload)
{
    public int StatusCode => (int)Metadata[nameof(StatusCode)]!;
    public string? FunctionError => (string?)Metadata[nameof(FunctionError)];
    public string? ExecutedVersion => (string?)Metadata[nameof(ExecutedVersion)];

    /// <summary>The decoded X-Amz-Log-Result (the last 4 KB of the log) when --log-type Tail was given.</summary>
    public string? Log => Metadata["LogResult"] is { } tail
        ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)tail!))
        : null;

    public JsonNode? Json => JsonNode.Parse(Payload);
}

public static class AwsCliInvoke
{
    /// <summary>aws lambda invoke with a raw JSON payload; extra flags (e.g. --log-type Tail) are appended.</summary>
    public static async Task<InvokeResult> InvokeAsync(this AwsCli cli, string function, string payload = "{}", params string[] extra)
    {
        var output = Path.Combine(Path.GetTempPath(), "grid-out-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var metadata = await cli.OkAsync(["lambda", "invoke", "--function-name", function, "--cli-binary-format",
                "raw-in-base64-out", "--payload", payload, .. extra, output]);
            return new InvokeResult(metadata, File.Exists(output) ? await File.ReadAllTextAsync(output) : "");
        }
        finally
        {
            File.Delete(output);
        }
    }
}
