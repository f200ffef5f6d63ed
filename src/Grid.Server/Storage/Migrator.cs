using System.Reflection;

namespace Grid.Server.Storage;

/// <summary>
/// Applies the embedded SQL scripts in order and records them. Embedded mode runs it at start (a private file);
/// cluster mode only through the explicit <c>migrate</c> command, and nodes refuse to start on an old schema.
/// </summary>
public sealed class Migrator(Database database)
{
    private const string HistoryTable = "grid_schema_migrations";

    private string Folder => database.IsPostgres ? "postgres" : "sqlite";

    public IReadOnlyList<string> AllScripts()
    {
        var prefix = $"Grid.Server.Storage.Migrations.{Folder}.";
        return typeof(Migrator).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => n[prefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken ct = default)
    {
        var applied = await AppliedAsync(ct);
        return AllScripts().Where(s => !applied.Contains(s)).ToList();
    }

    /// <summary>Applies pending scripts; returns the names applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(Action<string>? progress = null, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using (var create = connection.Command(
            $"CREATE TABLE IF NOT EXISTS {HistoryTable} (name TEXT PRIMARY KEY, applied TEXT NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        var pending = await PendingAsync(ct);
        foreach (var script in pending)
        {
            progress?.Invoke(script);
            await using var tx = await connection.BeginTransactionAsync(ct);
            await using (var run = connection.Command(ReadScript(script)))
            {
                run.Transaction = tx;
                await run.ExecuteNonQueryAsync(ct);
            }
            await using (var record = connection.Command(
                $"INSERT INTO {HistoryTable} (name, applied) VALUES (@n, @t)", ("@n", script), ("@t", DateTime.UtcNow.ToString("O"))))
            {
                record.Transaction = tx;
                await record.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        return pending;
    }

    private async Task<HashSet<string>> AppliedAsync(CancellationToken ct)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(ct);
        try
        {
            await using var query = connection.Command($"SELECT name FROM {HistoryTable}");
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                applied.Add(reader.GetString(0));
            }
        }
        catch (System.Data.Common.DbException)
        {
            // No history table yet: nothing applied.
        }
        return applied;
    }

    private string ReadScript(string name)
    {
        using var stream = typeof(Migrator).Assembly.GetManifestResourceStream($"Grid.Server.Storage.Migrations.{Folder}.{name}")
            ?? throw new InvalidOperationException($"Missing migration script {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
