namespace Grid.Server.Model;

/// <summary>
/// Lambda's FunctionEventInvokeConfig: how asynchronous invocations of one qualifier are retried and where their
/// results go. Stored as this JSON document; <see cref="LastModified"/> is epoch seconds as a number (the model's
/// <c>timestamp</c> type), unlike FunctionConfiguration's string timestamps.
/// </summary>
public sealed class FunctionEventInvokeConfig
{
    public double LastModified { get; set; }
    public string FunctionArn { get; set; } = "";
    public int? MaximumRetryAttempts { get; set; }
    public int? MaximumEventAgeInSeconds { get; set; }
    public EventDestinationConfig DestinationConfig { get; set; } = new();
}

/// <summary>DestinationConfig: on-success and on-failure targets (Grid: Lambda function ARNs).</summary>
public sealed class EventDestinationConfig
{
    public EventDestination OnSuccess { get; set; } = new();
    public EventDestination OnFailure { get; set; } = new();
}

public sealed class EventDestination
{
    public string? Destination { get; set; }
}

/// <summary>Body of Put (replaces the whole config) and Update (merges the given fields) FunctionEventInvokeConfig.</summary>
public sealed class EventInvokeConfigRequest
{
    public int? MaximumRetryAttempts { get; set; }
    public int? MaximumEventAgeInSeconds { get; set; }
    public EventDestinationConfigRequest? DestinationConfig { get; set; }
}

/// <summary>DestinationConfig as sent: either side may be missing.</summary>
public sealed class EventDestinationConfigRequest
{
    public EventDestination? OnSuccess { get; set; }
    public EventDestination? OnFailure { get; set; }
}

public sealed class ListFunctionEventInvokeConfigsResponse
{
    public List<FunctionEventInvokeConfig> FunctionEventInvokeConfigs { get; set; } = [];
    public string? NextMarker { get; set; }
}
