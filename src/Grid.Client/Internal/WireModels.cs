using System.Text.Json.Serialization;

namespace Grid.Client.Internal;

// The Lambda REST API's JSON shapes the SDK reads and writes (PascalCase members, as on AWS).

internal sealed class FunctionConfigurationDto
{
    public string FunctionName { get; set; } = "";
    public string FunctionArn { get; set; } = "";
    public string? Runtime { get; set; }
    public string? Handler { get; set; }
    public string Version { get; set; } = "$LATEST";
    public int MemorySize { get; set; }
    public int Timeout { get; set; }
    public long CodeSize { get; set; }
    public string CodeSha256 { get; set; } = "";
    public string? LastModified { get; set; }
    public string? State { get; set; }
    public string? StateReason { get; set; }
    public string? LastUpdateStatus { get; set; }
    public string? LastUpdateStatusReason { get; set; }
    public string? Description { get; set; }
    public string? RevisionId { get; set; }
    public string? Role { get; set; }
    public EnvironmentDto? Environment { get; set; }

    public FunctionInfo ToInfo(int? reservedConcurrency = null) =>
        new(FunctionName, FunctionArn, Runtime, Handler, Version, MemorySize, Timeout, CodeSize, CodeSha256, LastModified, State, Description)
        {
            LastUpdateStatus = LastUpdateStatus,
            RevisionId = RevisionId,
            Role = Role,
            Environment = Environment?.Variables,
            ReservedConcurrency = reservedConcurrency,
        };
}

internal sealed class EnvironmentDto
{
    public Dictionary<string, string>? Variables { get; set; }
}

internal sealed class GetFunctionResponseDto
{
    public FunctionConfigurationDto? Configuration { get; set; }
    public ConcurrencyDto? Concurrency { get; set; }
}

internal sealed class ConcurrencyDto
{
    public int? ReservedConcurrentExecutions { get; set; }
}

internal sealed class ListFunctionsResponseDto
{
    public List<FunctionConfigurationDto>? Functions { get; set; }
    public string? NextMarker { get; set; }
}

internal sealed class ListVersionsResponseDto
{
    public List<FunctionConfigurationDto>? Versions { get; set; }
    public string? NextMarker { get; set; }
}

internal sealed class AliasDto
{
    public string AliasArn { get; set; } = "";
    public string Name { get; set; } = "";
    public string FunctionVersion { get; set; } = "";
    public string? Description { get; set; }
    public RoutingConfigDto? RoutingConfig { get; set; }
    public string? RevisionId { get; set; }

    public AliasInfo ToInfo() =>
        new(Name, AliasArn, FunctionVersion, RoutingConfig?.AdditionalVersionWeights is { Count: > 0 } w ? w : null, Description)
        {
            RevisionId = RevisionId,
        };
}

internal sealed class RoutingConfigDto
{
    public Dictionary<string, double>? AdditionalVersionWeights { get; set; }
}

internal sealed class AliasRequestDto
{
    public string? Name { get; set; }
    public string? FunctionVersion { get; set; }
    public string? Description { get; set; }
    public RoutingConfigDto? RoutingConfig { get; set; }
}

internal sealed class ListAliasesResponseDto
{
    public List<AliasDto>? Aliases { get; set; }
    public string? NextMarker { get; set; }
}

internal sealed class PublishVersionRequestDto
{
    public string? Description { get; set; }
}

internal sealed class UpdateConfigurationRequestDto
{
    public string? Runtime { get; set; }
    public string? Handler { get; set; }
    public int? MemorySize { get; set; }
    public int? Timeout { get; set; }
    public string? Description { get; set; }
    public string? Role { get; set; }
    public EnvironmentDto? Environment { get; set; }

    public bool IsEmpty => Runtime is null && Handler is null && MemorySize is null && Timeout is null && Description is null && Role is null && Environment is null;
}

internal sealed class AccountSettingsResponseDto
{
    public AccountLimitDto? AccountLimit { get; set; }
    public AccountUsageDto? AccountUsage { get; set; }
}

internal sealed class AccountLimitDto
{
    public int ConcurrentExecutions { get; set; }
    public int UnreservedConcurrentExecutions { get; set; }
}

internal sealed class AccountUsageDto
{
    public long FunctionCount { get; set; }
    public long TotalCodeSize { get; set; }
}

internal sealed class LogEventDto
{
    [JsonPropertyName("timestamp")] public long Timestamp { get; set; }
    [JsonPropertyName("requestId")] public string RequestId { get; set; } = "";
    [JsonPropertyName("message")] public string Message { get; set; } = "";

    public LogRecord ToRecord() => new(DateTimeOffset.FromUnixTimeMilliseconds(Timestamp), RequestId, Message);
}

internal sealed class LogEventsResponseDto
{
    [JsonPropertyName("events")] public List<LogEventDto>? Events { get; set; }
}

/// <summary>Source-generated serialization for every wire shape; reading is case-insensitive (Lambda and Grid's own APIs differ in casing).</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FunctionConfigurationDto))]
[JsonSerializable(typeof(GetFunctionResponseDto))]
[JsonSerializable(typeof(ListFunctionsResponseDto))]
[JsonSerializable(typeof(ListVersionsResponseDto))]
[JsonSerializable(typeof(AliasDto))]
[JsonSerializable(typeof(AliasRequestDto))]
[JsonSerializable(typeof(ListAliasesResponseDto))]
[JsonSerializable(typeof(PublishVersionRequestDto))]
[JsonSerializable(typeof(UpdateConfigurationRequestDto))]
[JsonSerializable(typeof(ConcurrencyDto))]
[JsonSerializable(typeof(AccountSettingsResponseDto))]
[JsonSerializable(typeof(LogEventDto))]
[JsonSerializable(typeof(LogEventsResponseDto))]
[JsonSerializable(typeof(UsageReport))]
[JsonSerializable(typeof(NodeStats))]
internal sealed partial class WireJson : JsonSerializerContext;
