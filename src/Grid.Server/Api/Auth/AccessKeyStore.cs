using System.Collections.Frozen;
using System.Security.Cryptography;
using Grid.Server.Hosting;
using Grid.Server.Storage;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api.Auth;

public sealed record AccessKey(string AccessKeyId, string SecretAccessKey, string AccountId);

/// <summary>
/// The access keys a node accepts: configured ones plus those in the database, held in memory so that
/// authenticating a request never touches the database. Reloaded periodically and on an unknown key.
/// </summary>
public sealed class AccessKeyStore(Database database, IOptions<GridOptions> options, TimeProvider time, ILogger<AccessKeyStore> logger)
{
    private static readonly TimeSpan MinReloadInterval = TimeSpan.FromSeconds(2);
    private FrozenDictionary<string, AccessKey> _keys = FrozenDictionary<string, AccessKey>.Empty;
    private DateTimeOffset _lastLoad = DateTimeOffset.MinValue;
    private int _reloading;

    public AccessKey? Find(string accessKeyId)
    {
        if (_keys.TryGetValue(accessKeyId, out var key)) return key;
        // Unknown: a key created through another node may be new. Reload in the background, rate-limited.
        if (time.GetUtcNow() - _lastLoad > MinReloadInterval && Interlocked.Exchange(ref _reloading, 1) == 0)
        {
            _ = Task.Run(async () =>
            {
                try { await LoadAsync(); }
                catch (Exception e) { logger.LogWarning(e, "Reloading access keys failed"); }
                finally { Volatile.Write(ref _reloading, 0); }
            });
        }
        return null;
    }

    public async Task LoadAsync(CancellationToken ct = default)
    {
        var keys = new Dictionary<string, AccessKey>(StringComparer.Ordinal);
        foreach (var k in options.Value.AccessKeys)
        {
            keys[k.AccessKeyId] = new AccessKey(k.AccessKeyId, k.SecretAccessKey, k.AccountId);
        }
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command("SELECT access_key_id, secret, account_id FROM grid_access_keys");
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            keys[reader.GetString(0)] = new AccessKey(reader.GetString(0), reader.GetString(1), reader.GetString(2));
        }
        _keys = keys.ToFrozenDictionary(StringComparer.Ordinal);
        _lastLoad = time.GetUtcNow();
    }

    public int Count => _keys.Count;

    public bool HasAccount(string accountId) => _keys.Values.Any(k => k.AccountId == accountId);

    /// <summary>Creates and stores a new key for an account.</summary>
    public async Task<AccessKey> CreateAsync(string accountId, CancellationToken ct = default)
    {
        var key = new AccessKey(
            "GRID" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
            RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40),
            accountId);
        await using var connection = await database.OpenAsync(ct);
        await using var insert = connection.Command(
            "INSERT INTO grid_access_keys (access_key_id, secret, account_id, created) VALUES (@id, @s, @a, @c)",
            ("@id", key.AccessKeyId), ("@s", key.SecretAccessKey), ("@a", key.AccountId), ("@c", DateTime.UtcNow.ToString("O")));
        await insert.ExecuteNonQueryAsync(ct);
        await LoadAsync(ct);
        return key;
    }
}
