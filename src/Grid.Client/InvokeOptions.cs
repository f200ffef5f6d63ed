namespace Grid.Client;

/// <summary>Per-invoke settings.</summary>
public sealed class InvokeOptions
{
    /// <summary>A version number or an alias (the Qualifier query parameter); null means $LATEST.</summary>
    public string? Qualifier { get; set; }

    /// <summary>Ask for the last 4 KB of the invocation's log (X-Amz-Log-Type: Tail); see <see cref="InvokeResult.LogTail"/>.</summary>
    public bool TailLogs { get; set; }

    /// <summary>JSON the function sees as its client context (sent base64-encoded in X-Amz-Client-Context).</summary>
    public string? ClientContextJson { get; set; }

    /// <summary>Overrides <see cref="GridClientOptions.Timeout"/> for this call.</summary>
    public TimeSpan? Timeout { get; set; }
}
