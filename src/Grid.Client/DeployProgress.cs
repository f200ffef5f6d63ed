namespace Grid.Client;

/// <summary>
/// Deploy progress: <see cref="Stage"/> is "zipping" | "uploading" | "configuring" | "publishing" | "done";
/// bytes count input files while zipping and request bytes while uploading (0 in the other stages).
/// </summary>
public sealed record DeployProgress(string Stage, long BytesDone, long BytesTotal);
