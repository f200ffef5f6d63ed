using System.Data.Common;
using System.Text;
using System.Text.Json;
using Grid.Server.Model;

namespace Grid.Server.Storage;

/// <summary>
/// Function metadata in the database (the truth); grains cache it and serialise changes to it. Environment variables
/// are stored only encrypted, in their own column; the configuration document never holds them.
/// </summary>
public sealed class MetadataStore(Database database, EnvironmentCipher cipher)
{
    private const string Columns = "name, version, config, tags, code_sha256, environment, layers, last_version";

    /// <summary>Loads a function with all its versions and aliases; null when it does not exist.</summary>
    public async Task<StoredFunction?> LoadAsync(string account, string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        FunctionRecord? latest = null;
        var lastVersion = 0;
        var versions = new SortedDictionary<int, FunctionRecord>();
        await using (var query = connection.Command(
            $"SELECT {Columns} FROM grid_functions WHERE account_id = @a AND name = @n", ("@a", account), ("@n", name)))
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var record = Read(account, reader);
                if (record.Version == "$LATEST")
                {
                    latest = record;
                    lastVersion = Convert.ToInt32(reader.GetValue(7));
                }
                else versions[int.Parse(record.Version)] = record;
            }
        }
        if (latest is null) return null;
        var aliases = new Dictionary<string, AliasConfiguration>(StringComparer.Ordinal);
        await using (var query = connection.Command(
            "SELECT alias, config FROM grid_aliases WHERE account_id = @a AND name = @n", ("@a", account), ("@n", name)))
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                aliases[reader.GetString(0)] = JsonSerializer.Deserialize(reader.GetString(1), GridJsonContext.Default.AliasConfiguration)!;
            }
        }
        return new StoredFunction(latest, versions, aliases, lastVersion);
    }

    /// <summary>Inserts a new function ($LATEST); false when it already exists.</summary>
    public async Task<bool> InsertAsync(FunctionRecord record, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var insert = connection.Command(
            """
            INSERT INTO grid_functions (account_id, name, version, config, tags, code_sha256, code_size, revision_id, environment, layers)
            VALUES (@a, @n, @v, @c, @t, @s, @z, @r, @e, @l) ON CONFLICT (account_id, name, version) DO NOTHING
            """, Parameters(record));
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task UpdateAsync(FunctionRecord record, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var update = connection.Command(
            """
            UPDATE grid_functions SET config = @c, tags = @t, code_sha256 = @s, code_size = @z, revision_id = @r, environment = @e, layers = @l
            WHERE account_id = @a AND name = @n AND version = @v
            """, Parameters(record));
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Stores a published version and advances the function's version counter, atomically.</summary>
    public async Task PublishAsync(FunctionRecord version, int number, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var insert = connection.Command(
            """
            INSERT INTO grid_functions (account_id, name, version, config, tags, code_sha256, code_size, revision_id, environment, layers)
            VALUES (@a, @n, @v, @c, @t, @s, @z, @r, @e, @l)
            """, Parameters(version)))
        {
            insert.Transaction = tx;
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using (var counter = connection.Command(
            "UPDATE grid_functions SET last_version = @x WHERE account_id = @a AND name = @n AND version = '$LATEST'",
            ("@x", number), ("@a", version.AccountId), ("@n", version.Name)))
        {
            counter.Transaction = tx;
            await counter.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>Deletes one published version; returns the code packages nothing refers to any more.</summary>
    public Task<IReadOnlyList<string>> DeleteVersionAsync(string account, string name, string version, CancellationToken ct = default) =>
        DeleteAsync(account, name, version, ct);

    /// <summary>Deletes a function: every version and alias; returns the code packages nothing refers to any more.</summary>
    public Task<IReadOnlyList<string>> DeleteFunctionAsync(string account, string name, CancellationToken ct = default) =>
        DeleteAsync(account, name, null, ct);

    private async Task<IReadOnlyList<string>> DeleteAsync(string account, string name, string? version, CancellationToken ct)
    {
        var where = "account_id = @a AND name = @n" + (version is null ? "" : " AND version = @v");
        (string, object?)[] args = [("@a", account), ("@n", name), ("@v", version)];
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        await using (var query = connection.Command($"SELECT code_sha256, layers FROM grid_functions WHERE {where}", args))
        {
            query.Transaction = tx;
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                hashes.Add(reader.GetString(0));
                hashes.UnionWith(SplitLayers(reader.GetString(1)));
            }
        }
        await Execute(connection, tx, $"DELETE FROM grid_functions WHERE {where}", args, ct);
        if (version is null) await Execute(connection, tx, "DELETE FROM grid_aliases WHERE account_id = @a AND name = @n", args, ct);
        // Settings that hang off the function or version go with it (a function created again under the name starts clean).
        await Execute(connection, tx, "DELETE FROM grid_event_invoke_configs WHERE account_id = @a AND name = @n"
            + (version is null ? "" : " AND qualifier = @v"), args, ct);
        var orphans = new List<string>();
        foreach (var hash in hashes)
        {
            if (!await IsReferencedAsync(connection, tx, hash, ct)) orphans.Add(hash);
        }
        await tx.CommitAsync(ct);
        return orphans;
    }

    public async Task PutAliasAsync(string account, string name, AliasConfiguration alias, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var upsert = connection.Command(
            """
            INSERT INTO grid_aliases (account_id, name, alias, config) VALUES (@a, @n, @x, @c)
            ON CONFLICT (account_id, name, alias) DO UPDATE SET config = excluded.config
            """, ("@a", account), ("@n", name), ("@x", alias.Name), ("@c", JsonSerializer.Serialize(alias, GridJsonContext.Default.AliasConfiguration)));
        await upsert.ExecuteNonQueryAsync(ct);
    }

    public async Task DeleteAliasAsync(string account, string name, string alias, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        (string, object?)[] args = [("@a", account), ("@n", name), ("@x", alias)];
        await Execute(connection, tx, "DELETE FROM grid_aliases WHERE account_id = @a AND name = @n AND alias = @x", args, ct);
        await Execute(connection, tx, "DELETE FROM grid_event_invoke_configs WHERE account_id = @a AND name = @n AND qualifier = @x", args, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>True while a function version or a live layer version uses the package.</summary>
    public async Task<bool> IsCodeReferencedAsync(string sha256Hex, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await IsReferencedAsync(connection, null, sha256Hex, ct);
    }

    /// <summary>A page of functions ordered by name; the marker is opaque to clients.</summary>
    public async Task<(List<FunctionConfiguration> Items, string? NextMarker)> ListAsync(
        string account, string? marker, int maxItems, bool allVersions, CancellationToken ct = default)
    {
        var after = DecodeMarker(marker);
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(
            $"""
            SELECT {Columns} FROM grid_functions
            WHERE account_id = @a {(allVersions ? "" : "AND version = '$LATEST'")}
              AND (name > @n OR (name = @n AND version > @v))
            ORDER BY name, version LIMIT @m
            """, ("@a", account), ("@n", after.Name), ("@v", after.Version), ("@m", maxItems + 1));
        var items = new List<FunctionRecord>();
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) items.Add(Read(account, reader));
        }
        string? next = null;
        if (items.Count > maxItems)
        {
            items.RemoveAt(items.Count - 1);
            next = EncodeMarker(items[^1].Name, items[^1].Version);
        }
        return (items.Select(i => i.Config).ToList(), next);
    }

    public async Task<(long FunctionCount, long TotalCodeSize)> UsageAsync(string account, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(
            "SELECT COUNT(DISTINCT name), COALESCE(SUM(code_size), 0) FROM grid_functions WHERE account_id = @a", ("@a", account));
        await using var reader = await query.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (Convert.ToInt64(reader.GetValue(0)), Convert.ToInt64(reader.GetValue(1)));
    }

    /// <summary>Rewrites every stored environment under the current key (key rotation); returns how many rows changed.</summary>
    public async Task<int> ReencryptAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = new List<(string Account, string Name, string Version, string Stored)>();
        await using (var query = connection.Command("SELECT account_id, name, version, environment FROM grid_functions WHERE environment IS NOT NULL"))
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        var changed = 0;
        foreach (var (account, name, version, stored) in rows.Where(r => cipher.NeedsReencryption(r.Stored)))
        {
            var context = EnvironmentContext(account, name, version);
            var fresh = cipher.Encrypt(cipher.Decrypt(stored, context), context);
            await using var update = connection.Command(
                "UPDATE grid_functions SET environment = @e WHERE account_id = @a AND name = @n AND version = @v AND environment = @old",
                ("@e", fresh), ("@a", account), ("@n", name), ("@v", version), ("@old", stored));
            changed += await update.ExecuteNonQueryAsync(ct);
        }
        return changed;
    }

    public async Task<string?> GetSettingAsync(string key, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command("SELECT value FROM grid_settings WHERE key = @k", ("@k", key));
        return await query.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Stores a setting unless one exists; returns the value that is in force.</summary>
    public async Task<string> GetOrAddSettingAsync(string key, string value, CancellationToken ct = default)
    {
        await using (var connection = await database.OpenAsync(ct))
        await using (var insert = connection.Command(
            "INSERT INTO grid_settings (key, value) VALUES (@k, @v) ON CONFLICT (key) DO NOTHING", ("@k", key), ("@v", value)))
        {
            await insert.ExecuteNonQueryAsync(ct);
        }
        return (await GetSettingAsync(key, ct))!;
    }

    private FunctionRecord Read(string account, DbDataReader reader)
    {
        var name = reader.GetString(0);
        var version = reader.GetString(1);
        var config = JsonSerializer.Deserialize(reader.GetString(2), GridJsonContext.Default.FunctionConfiguration)!;
        if (!reader.IsDBNull(5))
        {
            var json = cipher.Decrypt(reader.GetString(5), EnvironmentContext(account, name, version));
            config.Environment = new EnvironmentResponse { Variables = JsonSerializer.Deserialize(json, GridJsonContext.Default.DictionaryStringString)! };
        }
        config.Environment ??= new EnvironmentResponse();
        return new FunctionRecord(account, name, version, config,
            JsonSerializer.Deserialize(reader.GetString(3), GridJsonContext.Default.DictionaryStringString)!,
            reader.GetString(4), SplitLayers(reader.GetString(6)));
    }

    private static string[] SplitLayers(string layers) => layers.Length == 0 ? [] : layers.Split(',');

    private static string EnvironmentContext(string account, string name, string version) => $"{account}/{name}/{version}";

    private static async Task Execute(DbConnection connection, DbTransaction tx, string sql, (string, object?)[] args, CancellationToken ct)
    {
        await using var command = connection.Command(sql, args);
        command.Transaction = tx;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<bool> IsReferencedAsync(DbConnection connection, DbTransaction? tx, string hash, CancellationToken ct)
    {
        await using var query = connection.Command(
            """
            SELECT 1 FROM grid_functions WHERE code_sha256 = @s OR layers LIKE @like
            UNION ALL SELECT 1 FROM grid_layer_versions WHERE code_sha256 = @s AND deleted = 0
            LIMIT 1
            """, ("@s", hash), ("@like", "%" + hash + "%"));
        query.Transaction = tx;
        return await query.ExecuteScalarAsync(ct) is not null;
    }

    private (string, object?)[] Parameters(FunctionRecord r)
    {
        // The document is stored without its variables; they go, encrypted, to their own column.
        var document = r.Config.Clone();
        var variables = document.Environment?.Variables;
        document.Environment = null;
        string? environment = null;
        if (variables is { Count: > 0 })
        {
            environment = cipher.Encrypt(JsonSerializer.Serialize(variables, GridJsonContext.Default.DictionaryStringString),
                EnvironmentContext(r.AccountId, r.Name, r.Version));
        }
        return
        [
            ("@a", r.AccountId), ("@n", r.Name), ("@v", r.Version),
            ("@c", JsonSerializer.Serialize(document, GridJsonContext.Default.FunctionConfiguration)),
            ("@t", JsonSerializer.Serialize(r.Tags, GridJsonContext.Default.DictionaryStringString)),
            ("@s", r.CodeSha256Hex), ("@z", r.Config.CodeSize), ("@r", r.Config.RevisionId),
            ("@e", environment), ("@l", string.Join(',', r.LayerSha256Hex)),
        ];
    }

    private static string EncodeMarker(string name, string version) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(name + "\n" + version));

    private static (string Name, string Version) DecodeMarker(string? marker)
    {
        if (string.IsNullOrEmpty(marker)) return ("", "");
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(marker)).Split('\n');
            if (parts.Length == 2) return (parts[0], parts[1]);
        }
        catch (FormatException)
        {
        }
        throw Api.Errors.InvalidParameter("Invalid marker: pass the NextMarker value of the previous page.");
    }
}
