using System.Collections.Concurrent;
using Grid.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Grid.Server.Control;

/// <summary>
/// Node-local copy of what each function qualifier resolves to, for the invoke path: a warm invoke costs no database
/// query and no remote grain call. Entries are trusted for <see cref="GridOptions.ConfigCacheDuration"/>; changes made
/// through this node invalidate them at once, changes made through another node are seen within that duration.
/// While the function's grain is unreachable (its node died and membership has not replaced it yet), the last known
/// entry keeps serving: a stale configuration for a few seconds beats failing invokes on a healthy node.
/// </summary>
public sealed class FunctionCache(IGrainFactory grains, IOptions<GridOptions> options, TimeProvider time, ILogger<FunctionCache> logger)
{
    private const string Latest = "$LATEST";
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Entry>> _functions = new(StringComparer.Ordinal);
    private readonly long _ttlTicks = (long)(options.Value.ConfigCacheDuration.TotalSeconds * TimeProvider.System.TimestampFrequency);

    private sealed record Entry(InvokeTarget? Target, long LoadedAt);

    public static string Key(string account, string name) => account + "/" + name;

    /// <summary>What invoking <paramref name="qualifier"/> (null: $LATEST) runs; null when it does not exist.</summary>
    public ValueTask<InvokeTarget?> ResolveAsync(string account, string name, string? qualifier)
    {
        var key = Key(account, name);
        qualifier ??= Latest;
        if (_functions.TryGetValue(key, out var entries) && entries.TryGetValue(qualifier, out var entry)
            && time.GetTimestamp() - entry.LoadedAt < _ttlTicks)
        {
            return ValueTask.FromResult(entry.Target);
        }
        return new ValueTask<InvokeTarget?>(LoadAsync(key, qualifier));
    }

    private async Task<InvokeTarget?> LoadAsync(string key, string qualifier)
    {
        var started = time.GetTimestamp();
        InvokeTarget? target;
        try
        {
            target = await grains.GetGrain<IFunctionGrain>(key).Resolve(qualifier);
        }
        catch (Exception e) when (e is not Api.LambdaException
            && _functions.TryGetValue(key, out var known) && known.TryGetValue(qualifier, out var stale))
        {
            logger.LogWarning("Function {Key} unreachable ({Error}); invoking its last known configuration", key, e.GetType().Name);
            known[qualifier] = stale with { LoadedAt = started }; // try the grain again after another cache period
            return stale.Target;
        }
        if (_functions.Count > 100_000) _functions.Clear();
        _functions.GetOrAdd(key, _ => new(StringComparer.Ordinal))[qualifier] = new Entry(target, started);
        return target;
    }

    public void Invalidate(string account, string name) => _functions.TryRemove(Key(account, name), out _);
}
