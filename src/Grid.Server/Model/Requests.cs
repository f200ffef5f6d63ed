namespace Grid.Server.Model;

// Request bodies of the control-plane API, as the AWS clients send them (PascalCase JSON).

public sealed class CreateFunctionRequest
{
    public string? FunctionName { get; set; }
    public string? Runtime { get; set; }
    public string? Role { get; set; }
    public string? Handler { get; set; }
    public FunctionCode? Code { get; set; }
    public string? Description { get; set; }
    public int? Timeout { get; set; }
    public int? MemorySize { get; set; }
    public bool? Publish { get; set; }
    public string? PackageType { get; set; }
    public EnvironmentRequest? Environment { get; set; }
    public List<string>? Layers { get; set; }
    public List<string>? Architectures { get; set; }
    public EphemeralStorage? EphemeralStorage { get; set; }
    public TracingConfig? TracingConfig { get; set; }
    public DeadLetterConfig? DeadLetterConfig { get; set; }
    public string? KMSKeyArn { get; set; }
    public Dictionary<string, string>? Tags { get; set; }
    public LoggingConfig? LoggingConfig { get; set; }
}

public sealed class FunctionCode
{
    public byte[]? ZipFile { get; set; }
    public string? S3Bucket { get; set; }
    public string? S3Key { get; set; }
    public string? S3ObjectVersion { get; set; }
    public string? ImageUri { get; set; }
}

public sealed class EnvironmentRequest
{
    public Dictionary<string, string>? Variables { get; set; }
}

public sealed class UpdateFunctionCodeRequest
{
    public byte[]? ZipFile { get; set; }
    public string? S3Bucket { get; set; }
    public string? S3Key { get; set; }
    public string? ImageUri { get; set; }
    public bool? Publish { get; set; }
    public bool? DryRun { get; set; }
    public string? RevisionId { get; set; }
    public List<string>? Architectures { get; set; }
}

public sealed class UpdateFunctionConfigurationRequest
{
    public string? Role { get; set; }
    public string? Handler { get; set; }
    public string? Description { get; set; }
    public int? Timeout { get; set; }
    public int? MemorySize { get; set; }
    public EnvironmentRequest? Environment { get; set; }
    public string? Runtime { get; set; }
    public DeadLetterConfig? DeadLetterConfig { get; set; }
    public string? KMSKeyArn { get; set; }
    public TracingConfig? TracingConfig { get; set; }
    public string? RevisionId { get; set; }
    public List<string>? Layers { get; set; }
    public EphemeralStorage? EphemeralStorage { get; set; }
    public LoggingConfig? LoggingConfig { get; set; }
}

public sealed class TagResourceRequest
{
    public Dictionary<string, string>? Tags { get; set; }
}

public sealed class PublishVersionRequest
{
    public string? CodeSha256 { get; set; }
    public string? Description { get; set; }
    public string? RevisionId { get; set; }
}

/// <summary>CreateAlias and UpdateAlias bodies (statically validated at the front door, checked against versions by the grain).</summary>
[GenerateSerializer]
public sealed class AliasRequest
{
    [Id(0)] public string? Name { get; set; }
    [Id(1)] public string? FunctionVersion { get; set; }
    [Id(2)] public string? Description { get; set; }
    [Id(3)] public AliasRoutingConfiguration? RoutingConfig { get; set; }
    [Id(4)] public string? RevisionId { get; set; }
}

public sealed class PublishLayerVersionRequest
{
    public FunctionCode? Content { get; set; }
    public string? Description { get; set; }
    public List<string>? CompatibleRuntimes { get; set; }
    public string? LicenseInfo { get; set; }
    public List<string>? CompatibleArchitectures { get; set; }
}
