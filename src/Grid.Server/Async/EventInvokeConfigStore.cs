using System.Collections.Concurrent;
using System.Text.Json;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Grid.Server.Storage;
using Microsoft.Extensions.Options;

namespace Grid.Server.Async;

/// <summary>
/// Event invoke configs (table <c>grid_event_invoke_configs</c>), one per function qualifier ($LATEST, a version, an
/// alias). The dispatcher reads them through a node-local cache trusted for <see cref="GridOptions.ConfigCacheDuration"/>;
/// changes through this node invalidate it at once, changes through another node are seen within that bound.
/// </summary>
public sealed class EventInvokeConfigStore(Database database, IOptions<GridOptions> options, TimeProvider time)
{
    public const int DefaultMaximumRetryAttempts = 2;
    public const int DefaultMaximumEventAgeInSeconds = 21600;

    private readonly ConcurrentDictionary<(string, string, string), (FunctionEventInvokeConfig? Config, long LoadedAt)> _cache = new();
    private readonly long _ttlTicks = (long)(options.Value.ConfigCacheDuration.TotalSeconds * TimeProvider.System.TimestampFrequency);

    public async Task<FunctionEventInvokeConfig?> GetAsync(string account, string name, string qualifier, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(
            "SELECT config FROM grid_event_invoke_configs WHERE account_id = @a AND name = @n AND qualifier = @q",
            ("@a", account), ("@n", name), ("@q", qualifier));
        return await query.ExecuteScalarAsync(ct) is string json ? Parse(json) : null;
    }

    /// <summary>The config async events of the qualifier run under (null: none, Lambda's defaults apply), cached.</summary>
    public async ValueTask<FunctionEventInvokeConfig?> GetCachedAsync(string account, string name, string qualifier, CancellationToken ct = default)
    {
        var key = (account, name, qualifier);
        if (_cache.TryGetValue(key, out var entry) && time.GetTimestamp() - entry.LoadedAt < _ttlTicks) return entry.Config;
        var started = time.GetTimestamp();
        var config = await GetAsync(account, name, qualifier, ct);
        if (_cache.Count > 100_000) _cache.Clear();
        _cache[key] = (config, started);
        return config;
    }

    public async Task<List<(string Qualifier, FunctionEventInvokeConfig Config)>> ListAsync(string account, string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(
            "SELECT qualifier, config FROM grid_event_invoke_configs WHERE account_id = @a AND name = @n", ("@a", account), ("@n", name));
        await using var reader = await query.ExecuteReaderAsync(ct);
        var configs = new List<(string, FunctionEventInvokeConfig)>();
        while (await reader.ReadAsync(ct)) configs.Add((reader.GetString(0), Parse(reader.GetString(1))));
        return configs;
    }

    public async Task PutAsync(string account, string name, string qualifier, FunctionEventInvokeConfig config, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var upsert = connection.Command(
            """
            INSERT INTO grid_event_invoke_configs (account_id, name, qualifier, config) VALUES (@a, @n, @q, @c)
            ON CONFLICT (account_id, name, qualifier) DO UPDATE SET config = excluded.config
            """, ("@a", account), ("@n", name), ("@q", qualifier),
            ("@c", JsonSerializer.Serialize(config, GridJsonContext.Default.FunctionEventInvokeConfig)));
        await upsert.ExecuteNonQueryAsync(ct);
        _cache.TryRemove((account, name, qualifier), out _);
    }

    /// <summary>False when there was no config.</summary>
    public async Task<bool> DeleteAsync(string account, string name, string qualifier, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var delete = connection.Command(
            "DELETE FROM grid_event_invoke_configs WHERE account_id = @a AND name = @n AND qualifier = @q",
            ("@a", account), ("@n", name), ("@q", qualifier));
        var deleted = await delete.ExecuteNonQueryAsync(ct) > 0;
        _cache.TryRemove((account, name, qualifier), out _);
        return deleted;
    }

    private static FunctionEventInvokeConfig Parse(string json) =>
        JsonSerializer.Deserialize(json, GridJsonContext.Default.FunctionEventInvokeConfig)!;
}
