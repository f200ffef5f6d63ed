using System.Text.Json;
using Grid.Server.Model;

namespace Grid.Server.Storage;

/// <summary>A stored layer version: its API document, code package and unpacked size.</summary>
public sealed record StoredLayerVersion(LayerVersion Layer, string Sha256Hex, long UnzippedSize, bool Deleted);

/// <summary>
/// Layer versions in the database. Numbers are never reused, so a deleted version stays as a tombstone row; its code
/// stays in the code store while any function version still runs with it (as on AWS).
/// </summary>
public sealed class LayerStore(Database database)
{
    /// <summary>Stores <paramref name="layer"/> as the next version of its layer; returns it with Version and ARNs set.</summary>
    public async Task<LayerVersion> PublishAsync(string account, string name, LayerVersion layer, string sha256Hex, long unzippedSize,
        CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        for (var attempt = 0; ; attempt++)
        {
            await using var max = connection.Command(
                "SELECT COALESCE(MAX(version), 0) FROM grid_layer_versions WHERE account_id = @a AND name = @n", ("@a", account), ("@n", name));
            var version = Convert.ToInt64(await max.ExecuteScalarAsync(ct)) + 1;
            layer.Version = version;
            layer.LayerVersionArn = $"{layer.LayerArn}:{version}";
            await using var insert = connection.Command(
                """
                INSERT INTO grid_layer_versions (account_id, name, version, config, code_sha256, unzipped_size)
                VALUES (@a, @n, @v, @c, @s, @u) ON CONFLICT (account_id, name, version) DO NOTHING
                """,
                ("@a", account), ("@n", name), ("@v", version), ("@c", JsonSerializer.Serialize(layer, GridJsonContext.Default.LayerVersion)),
                ("@s", sha256Hex), ("@u", unzippedSize));
            if (await insert.ExecuteNonQueryAsync(ct) == 1) return layer;
            if (attempt == 20) throw Api.Errors.Service("Could not publish the layer version: too many concurrent publishes; try again.");
        }
    }

    public async Task<StoredLayerVersion?> GetAsync(string account, string name, long version, bool includeDeleted = false, CancellationToken ct = default)
    {
        var found = await QueryAsync("account_id = @a AND name = @n AND version = @v" + (includeDeleted ? "" : " AND deleted = 0"),
            [("@a", account), ("@n", name), ("@v", version)], ct);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Live versions of one layer, newest first.</summary>
    public Task<List<StoredLayerVersion>> ListVersionsAsync(string account, string name, CancellationToken ct = default) =>
        QueryAsync("account_id = @a AND name = @n AND deleted = 0", [("@a", account), ("@n", name)], ct);

    /// <summary>Every live layer version of an account, newest first per layer.</summary>
    public Task<List<StoredLayerVersion>> ListAllAsync(string account, CancellationToken ct = default) =>
        QueryAsync("account_id = @a AND deleted = 0", [("@a", account)], ct);

    /// <summary>Marks a version deleted; returns its package when nothing else uses it any more.</summary>
    public async Task<string?> DeleteAsync(string account, string name, long version, MetadataStore metadata, CancellationToken ct = default)
    {
        var existing = await GetAsync(account, name, version, ct: ct);
        if (existing is null) return null;
        await using (var connection = await database.OpenAsync(ct))
        await using (var delete = connection.Command(
            "UPDATE grid_layer_versions SET deleted = 1 WHERE account_id = @a AND name = @n AND version = @v",
            ("@a", account), ("@n", name), ("@v", version)))
        {
            await delete.ExecuteNonQueryAsync(ct);
        }
        return await metadata.IsCodeReferencedAsync(existing.Sha256Hex, ct) ? null : existing.Sha256Hex;
    }

    private async Task<List<StoredLayerVersion>> QueryAsync(string where, (string, object?)[] args, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(
            $"SELECT config, code_sha256, unzipped_size, deleted FROM grid_layer_versions WHERE {where} ORDER BY name, version DESC", args);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var result = new List<StoredLayerVersion>();
        while (await reader.ReadAsync(ct))
        {
            result.Add(new StoredLayerVersion(JsonSerializer.Deserialize(reader.GetString(0), GridJsonContext.Default.LayerVersion)!,
                reader.GetString(1), Convert.ToInt64(reader.GetValue(2)), Convert.ToInt64(reader.GetValue(3)) != 0));
        }
        return result;
    }
}
