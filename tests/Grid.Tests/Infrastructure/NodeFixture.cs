using Xunit;

namespace Grid.Tests.Infrastructure;

/// <summary>
/// A running Grid node for a test class, with keys for two accounts: <see cref="Main"/> (the tests' own) and
/// <see cref="Other"/> (to prove account isolation). Subclasses choose embedded or cluster mode.
/// </summary>
public abstract class NodeFixture : IAsyncLifetime
{
    public const string OtherAccount = "222222222222";

    public string Root { get; } = Directory.CreateTempSubdirectory("grid-test-").FullName;
    public GridNode Node { get; protected set; } = null!;
    public Credentials Main { get; protected set; } = null!;
    public Credentials Other { get; protected set; } = null!;

    public abstract string Mode { get; }

    public AwsCli Cli => new(Node.Endpoint, Main);
    public AwsCli OtherCli => new(Node.Endpoint, Other);
    public Boto3 Boto => new(Node.Endpoint, Main);

    /// <summary>Extra Grid__* settings for the node (e.g. a short idle timeout).</summary>
    protected virtual IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string>();

    /// <summary>Runs a scalar SQL query against the node's metadata database.</summary>
    public abstract Task<long> CountAsync(string sql);

    /// <summary>Code packages the node holds in its store (files or rows).</summary>
    public abstract Task<long> StoredPackagesAsync();

    /// <summary>Files left anywhere under the node's code and cache directories.</summary>
    public IReadOnlyList<string> CodeFiles()
    {
        var roots = new[] { "code", "cache" }.Select(d => Path.Combine(Node.DataDirectory, d)).Where(Directory.Exists);
        return roots.SelectMany(r => Directory.EnumerateFileSystemEntries(r, "*", SearchOption.AllDirectories)).ToList();
    }

    public abstract Task InitializeAsync();

    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>Keeps <paramref name="resource"/> (e.g. a listener the test functions call back into) until the node has stopped, then disposes it.</summary>
    protected T Own<T>(T resource) where T : IAsyncDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    public virtual async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        foreach (var resource in _owned) await resource.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    protected IReadOnlyDictionary<string, string> Environment => NodeEnvironment;

    /// <summary>A function name unique to the calling test.</summary>
    public static string UniqueName(string prefix = "fn") => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";
}

/// <summary>Embedded mode: SQLite and files under a data directory, localhost clustering.</summary>
public class EmbeddedNodeFixture : NodeFixture
{
    public override string Mode => "embedded";

    public override async Task InitializeAsync()
    {
        var data = Path.Combine(Root, "data");
        // The other account's key is created with the CLI verb an operator would use; the node then adds its own
        // development key for account 000000000000 on first start and writes the credentials file.
        var other = await GridNode.RunCommandAsync("keys", "create", "--account", OtherAccount, "--data", data);
        if (other.ExitCode != 0) throw new InvalidOperationException(other.ToString());
        Other = Credentials.FromKeysCreateOutput(other.StandardOutput);
        Node = await GridNode.StartAsync(data, environment: Environment);
        Main = Credentials.FromCredentialsFile(Path.Combine(data, "credentials"), "000000000000");
    }

    public override async Task<long> CountAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(Node.DataDirectory, "grid.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public override Task<long> StoredPackagesAsync()
    {
        var code = Path.Combine(Node.DataDirectory, "code");
        return Task.FromResult(Directory.Exists(code) ? (long)Directory.EnumerateFiles(code).Count() : 0L);
    }
}

/// <summary>Cluster mode: a private PostgreSQL, the explicit migrate command, keys created with the CLI verb.</summary>
public class ClusterNodeFixture : NodeFixture
{
    public const string MainAccount = "111111111111";

    public PostgresServer Postgres { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";

    public override string Mode => "cluster";

    public override async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync();
        ConnectionString = await Postgres.CreateDatabaseAsync("grid");
        var migrate = await GridNode.RunCommandAsync("migrate", "--postgres", ConnectionString);
        if (migrate.ExitCode != 0) throw new InvalidOperationException(migrate.ToString());
        Main = await CreateKeyAsync(MainAccount);
        Other = await CreateKeyAsync(OtherAccount);
        Node = await StartNodeAsync("node1");
    }

    /// <summary>The key every node of this cluster encrypts environment variables with (base64 of 32 random bytes).</summary>
    public string EnvironmentKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public Task<GridNode> StartNodeAsync(string name) =>
        GridNode.StartAsync(Path.Combine(Root, name), ConnectionString,
            new Dictionary<string, string>(Environment) { ["Grid__EnvironmentKey"] = EnvironmentKey });

    private async Task<Credentials> CreateKeyAsync(string account)
    {
        var result = await GridNode.RunCommandAsync("keys", "create", "--account", account, "--postgres", ConnectionString);
        if (result.ExitCode != 0) throw new InvalidOperationException(result.ToString());
        return Credentials.FromKeysCreateOutput(result.StandardOutput);
    }

    public override async Task<long> CountAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public override Task<long> StoredPackagesAsync() => CountAsync("SELECT count(*) FROM grid_code");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
    }
}
