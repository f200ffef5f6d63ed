namespace Grid.Server.Triggers.Mappings;

// The wire shapes of the event source mapping API (Lambda 2015-03-31, PascalCase members). Nullable members tell
// "not given" from a value, which Update needs.

public sealed class EventSourceMappingRequest
{
    public string? FunctionName { get; set; }
    public string? EventSourceArn { get; set; }
    public bool? Enabled { get; set; }
    public int? BatchSize { get; set; }
    public int? MaximumBatchingWindowInSeconds { get; set; }
    public string? StartingPosition { get; set; }
    public double? StartingPositionTimestamp { get; set; }
    public int? ParallelizationFactor { get; set; }
    public bool? BisectBatchOnFunctionError { get; set; }
    public int? MaximumRetryAttempts { get; set; }
    public int? MaximumRecordAgeInSeconds { get; set; }
    public int? TumblingWindowInSeconds { get; set; }
    public List<string>? FunctionResponseTypes { get; set; }
    public MappingDestinationConfig? DestinationConfig { get; set; }
    public MappingFilterCriteria? FilterCriteria { get; set; }
    public List<string>? Topics { get; set; }
    public List<string>? Queues { get; set; }
}

public sealed class MappingDestinationConfig
{
    public MappingDestination? OnFailure { get; set; }
    public MappingDestination? OnSuccess { get; set; }
}

public sealed class MappingDestination
{
    public string? Destination { get; set; }
}

public sealed class MappingFilterCriteria
{
    public List<MappingFilter>? Filters { get; set; }
}

public sealed class MappingFilter
{
    public string? Pattern { get; set; }
}

/// <summary>EventSourceMappingConfiguration as Lambda answers it (Create/Get/Update/Delete and each List item).</summary>
public sealed class EventSourceMappingConfiguration
{
    public string UUID { get; set; } = "";
    public string? StartingPosition { get; set; }
    public double? StartingPositionTimestamp { get; set; }
    public int BatchSize { get; set; }
    public int MaximumBatchingWindowInSeconds { get; set; }
    public int ParallelizationFactor { get; set; }
    public string EventSourceArn { get; set; } = "";
    public MappingFilterCriteria? FilterCriteria { get; set; }
    public string FunctionArn { get; set; } = "";
    public double LastModified { get; set; }
    public string LastProcessingResult { get; set; } = "";
    public string State { get; set; } = "";
    public string StateTransitionReason { get; set; } = "";
    public MappingDestinationConfig DestinationConfig { get; set; } = new();
    public int MaximumRecordAgeInSeconds { get; set; }
    public bool BisectBatchOnFunctionError { get; set; }
    public int MaximumRetryAttempts { get; set; }
    public int TumblingWindowInSeconds { get; set; }
    public List<string> FunctionResponseTypes { get; set; } = [];
    public string EventSourceMappingArn { get; set; } = "";
}

public sealed class ListEventSourceMappingsResponse
{
    public string? NextMarker { get; set; }
    public List<EventSourceMappingConfiguration> EventSourceMappings { get; set; } = [];
}
