using System.Data.Common;
using System.Text;
using System.Text.Json;
using Grid.Server.Model;

namespace Grid.Server.Storage;

/// <summary>Function metadata in the database (the truth); grains cache it and serialise changes to it.</summary>
public sealed class MetadataStore(Database database)
{
    public async Task<FunctionRecord?> GetAsync(string account, string name, string version, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(
            "SELECT config, tags, code_sha256 FROM grid_functions WHERE account_id = @a AND name = @n AND version = @v",
            ("@a", account), ("@n", name), ("@v", version));
        await using var reader = await query.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new FunctionRecord(account, name, version,
            JsonSerializer.Deserialize(reader.GetString(0), GridJsonContext.Default.FunctionConfiguration)!,
            JsonSerializer.Deserialize(reader.GetString(1), GridJsonContext.Default.DictionaryStringString)!,
            reader.GetString(2));
    }

    /// <summary>Inserts a new version; false when it already exists.</summary>
    public async Task<bool> InsertAsync(FunctionRecord record, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var insert = connection.Command(
            """
            INSERT INTO grid_functions (account_id, name, version, config, tags, code_sha256, code_size, revision_id)
            VALUES (@a, @n, @v, @c, @t, @s, @z, @r) ON CONFLICT (account_id, name, version) DO NOTHING
            """, Parameters(record));
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task UpdateAsync(FunctionRecord record, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var update = connection.Command(
            """
            UPDATE grid_functions SET config = @c, tags = @t, code_sha256 = @s, code_size = @z, revision_id = @r
            WHERE account_id = @a AND name = @n AND version = @v
            """, Parameters(record));
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Deletes every version of a function; returns the code packages nothing refers to any more.</summary>
    public async Task<IReadOnlyList<string>> DeleteFunctionAsync(string account, string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var hashes = new List<string>();
        await using (var query = connection.Command(
            "SELECT DISTINCT code_sha256 FROM grid_functions WHERE account_id = @a AND name = @n", ("@a", account), ("@n", name)))
        {
            query.Transaction = tx;
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) hashes.Add(reader.GetString(0));
        }
        await using (var delete = connection.Command(
            "DELETE FROM grid_functions WHERE account_id = @a AND name = @n", ("@a", account), ("@n", name)))
        {
            delete.Transaction = tx;
            await delete.ExecuteNonQueryAsync(ct);
        }
        var orphans = new List<string>();
        foreach (var hash in hashes)
        {
            if (!await IsReferencedAsync(connection, tx, hash, ct)) orphans.Add(hash);
        }
        await tx.CommitAsync(ct);
        return orphans;
    }

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
            SELECT name, version, config FROM grid_functions
            WHERE account_id = @a {(allVersions ? "" : "AND version = '$LATEST'")}
              AND (name > @n OR (name = @n AND version > @v))
            ORDER BY name, version LIMIT @m
            """, ("@a", account), ("@n", after.Name), ("@v", after.Version), ("@m", maxItems + 1));
        var items = new List<(string Name, string Version, FunctionConfiguration Config)>();
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                items.Add((reader.GetString(0), reader.GetString(1),
                    JsonSerializer.Deserialize(reader.GetString(2), GridJsonContext.Default.FunctionConfiguration)!));
            }
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

    private static async Task<bool> IsReferencedAsync(DbConnection connection, DbTransaction? tx, string hash, CancellationToken ct)
    {
        await using var query = connection.Command("SELECT 1 FROM grid_functions WHERE code_sha256 = @s LIMIT 1", ("@s", hash));
        query.Transaction = tx;
        return await query.ExecuteScalarAsync(ct) is not null;
    }

    private static (string, object?)[] Parameters(FunctionRecord r) =>
    [
        ("@a", r.AccountId), ("@n", r.Name), ("@v", r.Version),
        ("@c", JsonSerializer.Serialize(r.Config, GridJsonContext.Default.FunctionConfiguration)),
        ("@t", JsonSerializer.Serialize(r.Tags, GridJsonContext.Default.DictionaryStringString)),
        ("@s", r.CodeSha256Hex), ("@z", r.Config.CodeSize), ("@r", r.Config.RevisionId),
    ];

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
