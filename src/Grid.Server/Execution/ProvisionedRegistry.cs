using System.Collections.Concurrent;

namespace Grid.Server.Execution;

/// <summary>
/// This node's provisioned concurrency: per executor key, how many warm environments it should keep (its share) and
/// how many executor activations currently hold one. Activations join when warmed and leave when there are too many.
/// </summary>
public sealed class ProvisionedRegistry
{
    private sealed class Entry
    {
        public int Desired;
        public int Joined;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private Entry Get(string key) => _entries.GetOrAdd(key, _ => new Entry());

    public void SetDesired(string key, int desired) => Volatile.Write(ref Get(key).Desired, desired);

    public int Desired(string key) => _entries.TryGetValue(key, out var e) ? Volatile.Read(ref e.Desired) : 0;

    public int Joined(string key) => _entries.TryGetValue(key, out var e) ? Volatile.Read(ref e.Joined) : 0;

    public IReadOnlyCollection<string> Keys => (IReadOnlyCollection<string>)_entries.Keys;

    public void Join(string key) => Interlocked.Increment(ref Get(key).Joined);

    /// <summary>Leaves if the key has more members than it wants; true when the caller left.</summary>
    public bool LeaveIfSurplus(string key)
    {
        var e = Get(key);
        while (true)
        {
            var joined = Volatile.Read(ref e.Joined);
            if (joined <= Volatile.Read(ref e.Desired)) return false;
            if (Interlocked.CompareExchange(ref e.Joined, joined - 1, joined) == joined) return true;
        }
    }

    public void Leave(string key) => Interlocked.Decrement(ref Get(key).Joined);
}
