namespace Grid.Server.Storage;

/// <summary>Cluster mode: packages in PostgreSQL so every node can fetch them (nodes cache them locally by SHA-256).</summary>
public sealed class DatabaseCodeStore(Database database) : ICodeStore
{
    public async Task PutAsync(string sha256Hex, byte[] zip, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var insert = connection.Command(
            "INSERT INTO grid_code (sha256, size, data) VALUES (@s, @n, @d) ON CONFLICT (sha256) DO NOTHING",
            ("@s", sha256Hex), ("@n", zip.LongLength), ("@d", zip));
        await insert.ExecuteNonQueryAsync(ct);
    }

    public async Task<byte[]?> GetAsync(string sha256Hex, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.Command("SELECT data FROM grid_code WHERE sha256 = @s", ("@s", sha256Hex));
        return await query.ExecuteScalarAsync(ct) as byte[];
    }

    public async Task DeleteAsync(string sha256Hex, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var delete = connection.Command("DELETE FROM grid_code WHERE sha256 = @s", ("@s", sha256Hex));
        await delete.ExecuteNonQueryAsync(ct);
    }
}
