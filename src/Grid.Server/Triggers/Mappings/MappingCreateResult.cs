namespace Grid.Server.Triggers.Mappings;

public enum MappingCreateOutcome
{
    Created,

    /// <summary>The stream already has a mapping of this function and qualifier (<see cref="MappingCreateResult.ExistingUuid"/>).</summary>
    Duplicate,

    /// <summary>The stream was deleted between the request's lookup and the insert.</summary>
    StreamGone,
}

/// <summary>What <see cref="MappingStore.CreateAsync"/> did.</summary>
public readonly record struct MappingCreateResult(MappingCreateOutcome Outcome, string? ExistingUuid);
