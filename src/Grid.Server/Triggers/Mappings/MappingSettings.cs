namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// The settings of one event source mapping, as stored (JSON in grid_event_source_mappings.config) and as the consumer
/// and <see cref="BatchProcessor"/> use them. Defaults are Lambda's for Kinesis.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MappingSettings
{
    public const int DefaultBatchSize = 100;

    [Id(0)] public int BatchSize { get; init; } = DefaultBatchSize;
    [Id(1)] public int MaximumBatchingWindowInSeconds { get; init; }
    [Id(2)] public int ParallelizationFactor { get; init; } = 1;
    [Id(3)] public bool BisectBatchOnFunctionError { get; init; }

    /// <summary>-1: retry until the records expire (Lambda's default for streams).</summary>
    [Id(4)] public int MaximumRetryAttempts { get; init; } = -1;

    /// <summary>-1: no limit other than the stream's retention.</summary>
    [Id(5)] public int MaximumRecordAgeInSeconds { get; init; } = -1;

    [Id(6)] public bool ReportBatchItemFailures { get; init; }

    /// <summary>A Lambda function ARN or a Grid stream ARN; null for none.</summary>
    [Id(7)] public string? OnFailureDestination { get; init; }

    /// <summary>FilterCriteria patterns as the user wrote them (one JSON text each); empty: every record passes.</summary>
    [Id(8)] public string[] Filters { get; init; } = [];

    /// <summary>TRIM_HORIZON | LATEST | AT_TIMESTAMP (shown by Get/List; it only matters at create).</summary>
    [Id(9)] public string StartingPosition { get; init; } = "TRIM_HORIZON";

    /// <summary>Epoch seconds, for AT_TIMESTAMP.</summary>
    [Id(10)] public double? StartingPositionTimestamp { get; init; }

    // Value equality including the filters, so a consumer can tell a changed mapping from a re-read one.
    public bool Equals(MappingSettings? other) =>
        other is not null && BatchSize == other.BatchSize && MaximumBatchingWindowInSeconds == other.MaximumBatchingWindowInSeconds
        && ParallelizationFactor == other.ParallelizationFactor && BisectBatchOnFunctionError == other.BisectBatchOnFunctionError
        && MaximumRetryAttempts == other.MaximumRetryAttempts && MaximumRecordAgeInSeconds == other.MaximumRecordAgeInSeconds
        && ReportBatchItemFailures == other.ReportBatchItemFailures && OnFailureDestination == other.OnFailureDestination
        && Filters.AsSpan().SequenceEqual(other.Filters) && StartingPosition == other.StartingPosition
        && StartingPositionTimestamp == other.StartingPositionTimestamp;

    public override int GetHashCode() => HashCode.Combine(BatchSize, MaximumBatchingWindowInSeconds, ParallelizationFactor, MaximumRetryAttempts,
        OnFailureDestination, Filters.Length);
}
