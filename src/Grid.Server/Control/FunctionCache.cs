using System.Collections.Concurrent;
using Grid.Server.Hosting;
using Grid.Server.Storage;
using Microsoft.Extensions.Options;

namespace Grid.Server.Control;

/// <summary>
/// Node-local copy of function records for the invoke path, so a warm invoke costs no database query and no remote
/// grain call. Entries are trusted for <see cref="GridOptions.ConfigCacheDuration"/>; changes made through this node
/// invalidate them at once, changes made through another node are seen within that duration.
/// </summary>
public sealed class FunctionCache(IGrainFactory grains, IOptions<GridOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly long _ttlTicks = (long)(options.Value.ConfigCacheDuration.TotalSeconds * TimeProvider.System.TimestampFrequency);

    private sealed record Entry(FunctionRecord? Record, long LoadedAt);

    public static string Key(string account, string name) => account + "/" + name;

    public ValueTask<FunctionRecord?> GetAsync(string account, string name)
    {
        var key = Key(account, name);
        if (_entries.TryGetValue(key, out var entry) && time.GetTimestamp() - entry.LoadedAt < _ttlTicks)
        {
            return ValueTask.FromResult(entry.Record);
        }
        return new ValueTask<FunctionRecord?>(LoadAsync(key));
    }

    private async Task<FunctionRecord?> LoadAsync(string key)
    {
        var started = time.GetTimestamp();
        var record = await grains.GetGrain<IFunctionGrain>(key).Get();
        _entries[key] = new Entry(record, started);
        if (_entries.Count > 100_000) _entries.Clear();
        return record;
    }

    public void Invalidate(string account, string name) => _entries.TryRemove(Key(account, name), out _);
}
