namespace Grid.Server.Storage;

/// <summary>A provisioned-concurrency setting of one version or alias.</summary>
public sealed record ProvisionedSetting(string Account, string Name, string Qualifier, int Requested, string LastModified);

/// <summary>Reserved concurrency per function and provisioned concurrency per version or alias, in the database.</summary>
public sealed class ConcurrencyStore(Database database)
{
    /// <summary>Every reservation of an account: function name → reserved concurrent executions.</summary>
    public async Task<Dictionary<string, int>> ReservedAsync(string account, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command("SELECT name, reserved FROM grid_function_concurrency WHERE account_id = @a", ("@a", account));
        await using var reader = await query.ExecuteReaderAsync(ct);
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) result[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1));
        return result;
    }

    /// <summary>Sets (or with null removes) a function's reservation.</summary>
    public async Task SetReservedAsync(string account, string name, int? reserved, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = reserved is { } n
            ? connection.Command(
                """
                INSERT INTO grid_function_concurrency (account_id, name, reserved) VALUES (@a, @n, @r)
                ON CONFLICT (account_id, name) DO UPDATE SET reserved = excluded.reserved
                """, ("@a", account), ("@n", name), ("@r", n))
            : connection.Command("DELETE FROM grid_function_concurrency WHERE account_id = @a AND name = @n", ("@a", account), ("@n", name));
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<List<ProvisionedSetting>> ProvisionedAsync(string account, string? name = null, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command(
            "SELECT name, qualifier, requested, last_modified FROM grid_provisioned_concurrency WHERE account_id = @a"
            + (name is null ? "" : " AND name = @n") + " ORDER BY name, qualifier", ("@a", account), ("@n", name));
        await using var reader = await query.ExecuteReaderAsync(ct);
        var result = new List<ProvisionedSetting>();
        while (await reader.ReadAsync(ct))
        {
            result.Add(new ProvisionedSetting(account, reader.GetString(0), reader.GetString(1), Convert.ToInt32(reader.GetValue(2)), reader.GetString(3)));
        }
        return result;
    }

    /// <summary>Every provisioned setting of the cluster (each node warms its share).</summary>
    public async Task<List<ProvisionedSetting>> AllProvisionedAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command("SELECT account_id, name, qualifier, requested, last_modified FROM grid_provisioned_concurrency");
        await using var reader = await query.ExecuteReaderAsync(ct);
        var result = new List<ProvisionedSetting>();
        while (await reader.ReadAsync(ct))
        {
            result.Add(new ProvisionedSetting(reader.GetString(0), reader.GetString(1), reader.GetString(2), Convert.ToInt32(reader.GetValue(3)), reader.GetString(4)));
        }
        return result;
    }

    public async Task SetProvisionedAsync(ProvisionedSetting setting, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var upsert = connection.Command(
            """
            INSERT INTO grid_provisioned_concurrency (account_id, name, qualifier, requested, last_modified) VALUES (@a, @n, @q, @r, @m)
            ON CONFLICT (account_id, name, qualifier) DO UPDATE SET requested = excluded.requested, last_modified = excluded.last_modified
            """, ("@a", setting.Account), ("@n", setting.Name), ("@q", setting.Qualifier), ("@r", setting.Requested), ("@m", setting.LastModified));
        await upsert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Removes one setting, or with a null qualifier every setting of the function; true when something was removed.</summary>
    public async Task<bool> DeleteProvisionedAsync(string account, string name, string? qualifier, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var delete = connection.Command(
            "DELETE FROM grid_provisioned_concurrency WHERE account_id = @a AND name = @n" + (qualifier is null ? "" : " AND qualifier = @q"),
            ("@a", account), ("@n", name), ("@q", qualifier));
        return await delete.ExecuteNonQueryAsync(ct) > 0;
    }
}
