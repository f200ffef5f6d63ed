namespace Grid.Server.Streams;

/// <summary>
/// A Grid stream as stored in grid_streams. <see cref="Id"/> is random, so a re-created stream never sees an old stream's records.
/// <see cref="Mode"/> is the capacity mode (<see cref="StreamModes"/>); it is reported, and changes nothing about how records are written.
/// </summary>
public sealed record StreamInfo(string Id, string AccountId, string Name, string Arn, int ShardCount, int RetentionHours, string Status, long CreatedMs,
    string Mode);
