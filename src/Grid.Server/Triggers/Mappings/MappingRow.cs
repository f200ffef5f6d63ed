namespace Grid.Server.Triggers.Mappings;

/// <summary>One row of grid_event_source_mappings: the snapshot the consumers use plus what only the API shows.</summary>
public sealed record MappingRow(MappingSnapshot Snapshot, string State, string StateReason, string LastProcessingResult, long CreatedMs,
    long LastModifiedMs)
{
    public const string Enabled = "Enabled";
    public const string Disabled = "Disabled";
    public const string UserAction = "User action";
    public const string NoRecordsProcessed = "No records processed";
}
