namespace Grid.Functions;

/// <summary>The client context a caller passed with the invoke (Lambda's <c>ClientContext</c>, base64 JSON on the wire).</summary>
public sealed class ClientContext
{
    public ClientContext(string json, ClientApplication? client, IReadOnlyDictionary<string, string> custom, IReadOnlyDictionary<string, string> environment)
    {
        Json = json;
        Client = client;
        Custom = custom;
        Environment = environment;
    }

    /// <summary>The client context exactly as sent (JSON text).</summary>
    public string Json { get; }

    /// <summary>The "client" object (the calling app), or null.</summary>
    public ClientApplication? Client { get; }

    /// <summary>The "custom" object's string values.</summary>
    public IReadOnlyDictionary<string, string> Custom { get; }

    /// <summary>The "env" object's string values.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }
}
