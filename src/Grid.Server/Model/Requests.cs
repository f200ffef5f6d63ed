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
