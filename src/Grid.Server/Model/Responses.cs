namespace Grid.Server.Model;

public sealed class GetFunctionResponse
{
    public FunctionConfiguration Configuration { get; set; } = new();
    public FunctionCodeLocation Code { get; set; } = new();
    public Dictionary<string, string>? Tags { get; set; }
    public Api.Concurrency? Concurrency { get; set; }
}

public sealed class FunctionCodeLocation
{
    public string RepositoryType { get; set; } = "S3";
    public string Location { get; set; } = "";
}

public sealed class ListFunctionsResponse
{
    public List<FunctionConfiguration> Functions { get; set; } = [];
    public string? NextMarker { get; set; }
}

public sealed class ListTagsResponse
{
    public Dictionary<string, string> Tags { get; set; } = [];
}

public sealed class AccountSettingsResponse
{
    public AccountLimit AccountLimit { get; set; } = new();
    public AccountUsage AccountUsage { get; set; } = new();
}

public sealed class AccountLimit
{
    public long TotalCodeSize { get; set; } = 80530636800;
    public long CodeSizeUnzipped { get; set; } = CodeLimits.MaxUnzippedBytes;
    public long CodeSizeZipped { get; set; } = CodeLimits.MaxZippedBytes;
    public int ConcurrentExecutions { get; set; } = 1000;
    public int UnreservedConcurrentExecutions { get; set; } = 1000;
}

public sealed class AccountUsage
{
    public long TotalCodeSize { get; set; }
    public long FunctionCount { get; set; }
}

public sealed class ErrorBody
{
    public string? Type { get; set; }
    public string? Message { get; set; }
    [System.Text.Json.Serialization.JsonPropertyName("message")] public string? LowerMessage { get; set; }
    public string? Reason { get; set; }
}

public static class CodeLimits
{
    public const long MaxZippedBytes = 52428800;
    public const long MaxUnzippedBytes = 262144000;
    public const long MaxCreateRequestBytes = 70167211;
    public const int MaxInvokePayloadBytes = 6291456;
    public const int MaxResponseBytes = 6291556;
}

public sealed class ListVersionsByFunctionResponse
{
    public List<FunctionConfiguration> Versions { get; set; } = [];
    public string? NextMarker { get; set; }
}

public sealed class ListAliasesResponse
{
    public List<AliasConfiguration> Aliases { get; set; } = [];
    public string? NextMarker { get; set; }
}
