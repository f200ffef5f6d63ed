namespace Grid.Server.Model;

/// <summary>Lambda's FunctionConfiguration: the stored document of a function version and its wire shape.</summary>
[GenerateSerializer]
public sealed class FunctionConfiguration
{
    [Id(0)] public string FunctionName { get; set; } = "";
    [Id(1)] public string FunctionArn { get; set; } = "";
    [Id(2)] public string? Runtime { get; set; }
    [Id(3)] public string Role { get; set; } = "";
    [Id(4)] public string? Handler { get; set; }
    [Id(5)] public long CodeSize { get; set; }
    [Id(6)] public string Description { get; set; } = "";
    [Id(7)] public int Timeout { get; set; } = 3;
    [Id(8)] public int MemorySize { get; set; } = 128;
    [Id(9)] public string LastModified { get; set; } = "";
    [Id(10)] public string CodeSha256 { get; set; } = "";
    [Id(11)] public string Version { get; set; } = "$LATEST";
    [Id(12)] public EnvironmentResponse? Environment { get; set; }
    [Id(13)] public TracingConfig TracingConfig { get; set; } = new();
    [Id(14)] public string RevisionId { get; set; } = "";
    [Id(15)] public List<LayerReference>? Layers { get; set; }
    [Id(16)] public string State { get; set; } = "Active";
    [Id(17)] public string LastUpdateStatus { get; set; } = "Successful";
    [Id(18)] public string PackageType { get; set; } = "Zip";
    [Id(19)] public List<string> Architectures { get; set; } = ["x86_64"];
    [Id(20)] public EphemeralStorage EphemeralStorage { get; set; } = new();
    [Id(21)] public SnapStartResponse SnapStart { get; set; } = new();
    [Id(22)] public LoggingConfig? LoggingConfig { get; set; }
    [Id(23)] public DeadLetterConfig? DeadLetterConfig { get; set; }
    [Id(24)] public string? KMSKeyArn { get; set; }
    [Id(25)] public VpcConfigResponse? VpcConfig { get; set; }
    [Id(26)] public string? StateReason { get; set; }
    [Id(27)] public string? StateReasonCode { get; set; }

    /// <summary>A deep copy: stored documents are never mutated in place.</summary>
    public FunctionConfiguration Clone()
    {
        var c = (FunctionConfiguration)MemberwiseClone();
        c.Environment = c.Environment is null ? null : new EnvironmentResponse { Variables = new(c.Environment.Variables) };
        c.TracingConfig = new TracingConfig { Mode = c.TracingConfig.Mode };
        c.Layers = c.Layers?.ToList();
        c.Architectures = c.Architectures.ToList();
        c.EphemeralStorage = new EphemeralStorage { Size = c.EphemeralStorage.Size };
        return c;
    }
}

[GenerateSerializer]
public sealed class EnvironmentResponse
{
    [Id(0)] public Dictionary<string, string> Variables { get; set; } = [];
}

[GenerateSerializer]
public sealed class TracingConfig
{
    [Id(0)] public string Mode { get; set; } = "PassThrough";
}

[GenerateSerializer]
public sealed class LayerReference
{
    [Id(0)] public string Arn { get; set; } = "";
    [Id(1)] public long CodeSize { get; set; }
}

[GenerateSerializer]
public sealed class EphemeralStorage
{
    [Id(0)] public int Size { get; set; } = 512;
}

[GenerateSerializer]
public sealed class SnapStartResponse
{
    [Id(0)] public string ApplyOn { get; set; } = "None";
    [Id(1)] public string OptimizationStatus { get; set; } = "Off";
}

[GenerateSerializer]
public sealed class LoggingConfig
{
    [Id(0)] public string LogFormat { get; set; } = "Text";
    [Id(1)] public string LogGroup { get; set; } = "";
}

[GenerateSerializer]
public sealed class DeadLetterConfig
{
    [Id(0)] public string? TargetArn { get; set; }
}

[GenerateSerializer]
public sealed class VpcConfigResponse
{
    [Id(0)] public List<string> SubnetIds { get; set; } = [];
    [Id(1)] public List<string> SecurityGroupIds { get; set; } = [];
    [Id(2)] public string VpcId { get; set; } = "";
}
