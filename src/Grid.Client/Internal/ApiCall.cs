namespace Grid.Client.Internal;

/// <summary>One HTTP call of the API, described once so it can be rebuilt for each attempt and named in error messages.</summary>
internal sealed class ApiCall(HttpMethod method, string pathAndQuery, string operation)
{
    public HttpMethod Method { get; } = method;

    /// <summary>Already escaped, starting with '/'.</summary>
    public string PathAndQuery { get; } = pathAndQuery;

    /// <summary>What the caller asked for, for messages: e.g. "Invoke of 'hello'".</summary>
    public string Operation { get; } = operation;

    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Wraps the body for sending (e.g. to report upload progress); default: a ReadOnlyMemoryContent, no copy.</summary>
    public Func<ReadOnlyMemory<byte>, HttpContent>? ContentFactory { get; init; }

    /// <summary>Invoke headers (invocation type, log type, client context).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }

    /// <summary>The function the call is about, for "not found" advice; with its qualifier.</summary>
    public string? Function { get; init; }

    public string? Qualifier { get; init; }

    public TimeSpan? Timeout { get; init; }

    /// <summary>The absolute URI and its canonical form, when cached by the caller (the invoke path); otherwise built per attempt.</summary>
    public (Uri Uri, CanonicalTarget Canonical)? Target { get; init; }

    /// <summary>Safe to repeat after a 5xx or a broken connection (reads). Throttles are retried for every call.</summary>
    public bool Idempotent => Method == HttpMethod.Get;
}
