using System.Data.Common;
using Grid.Server.Hosting;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Grid.Server.Storage;

/// <summary>The metadata database: SQLite in embedded mode, PostgreSQL in cluster mode. SQL is shared; only DDL differs.</summary>
public sealed class Database : IAsyncDisposable
{
    public DbDataSource DataSource { get; }
    public bool IsPostgres { get; }

    /// <summary>
    /// Embedded mode: one process owns the SQLite file, and SQLite takes one writer at a time. Hot writers (stream commits,
    /// mapping checkpoints) queue here instead of colliding in SQLite, whose busy handler sleeps for milliseconds.
    /// </summary>
    private readonly SemaphoreSlim _sqliteWriteGate = new(1, 1);

    private Database(DbDataSource dataSource, bool isPostgres)
    {
        DataSource = dataSource;
        IsPostgres = isPostgres;
    }

    public static Database Open(GridOptions options)
    {
        if (options.IsClusterMode)
        {
            return new Database(NpgsqlDataSource.Create(options.PostgresConnectionString!), isPostgres: true);
        }

        Directory.CreateDirectory(options.FullDataDirectory);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(options.FullDataDirectory, "grid.db"),
            Cache = SqliteCacheMode.Private,
            DefaultTimeout = 30,
            Pooling = true,
        };
        UseWriteAheadLog(builder.ConnectionString);
        return new Database(SqliteFactory.Instance.CreateDataSource(builder.ConnectionString), isPostgres: false);
    }

    /// <summary>
    /// WAL (persistent in the file): readers never block the writer, and a commit is one append to the log instead of a
    /// rollback journal's several fsyncs; stream appends commit hundreds of times a second (4x the PutRecords throughput).
    /// </summary>
    private static void UseWriteAheadLog(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL;";
        pragma.ExecuteNonQuery();
    }

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = await DataSource.OpenConnectionAsync(ct);
        if (!IsPostgres)
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA busy_timeout=30000; PRAGMA synchronous=NORMAL;";
            await pragma.ExecuteNonQueryAsync(ct);
        }
        return connection;
    }

    /// <summary>Waits for the embedded write gate (nothing in cluster mode); dispose the result when the write is committed.</summary>
    public async ValueTask<WriteTurn> EnterWriteAsync(CancellationToken ct = default)
    {
        if (IsPostgres) return default;
        await _sqliteWriteGate.WaitAsync(ct);
        return new WriteTurn(_sqliteWriteGate);
    }

    /// <summary>A turn at the embedded write gate.</summary>
    public readonly struct WriteTurn(SemaphoreSlim? gate) : IDisposable
    {
        public void Dispose() => gate?.Release();
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

/// <summary>Small helpers that keep ADO.NET call sites short.</summary>
public static class DbCommandExtensions
{
    public static DbCommand Command(this DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return command;
    }
}
