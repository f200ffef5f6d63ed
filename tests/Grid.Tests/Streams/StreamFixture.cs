using Grid.Tests.Infrastructure;

namespace Grid.Tests.Streams;

/// <summary>An embedded node whose retention service sweeps every second (so a trim is seen without waiting a minute).</summary>
public sealed class StreamFixture : EmbeddedNodeFixture
{
    protected override IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string>
    {
        ["Grid__StreamRetentionSweepInterval"] = "00:00:01",
    };

    /// <summary>Runs a write against the node's SQLite file (WAL: the node keeps running), e.g. to age records.</summary>
    public async Task<int> ExecuteAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(Node.DataDirectory, "grid.db")};Pooling=False;Default Timeout=30");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync();
    }
}
