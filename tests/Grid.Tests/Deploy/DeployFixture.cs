using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Deploy;

[CollectionDefinition(Name)]
public sealed class DeployCollection : ICollectionFixture<DeployFixture>
{
    public const string Name = "Deploy";
}

/// <summary>
/// What the deployment tests share: a private PostgreSQL (one migrated database per cluster a test builds), a
/// self-signed certificate for 127.0.0.1, and deploy/install.sh run against the built server.
/// </summary>
public sealed class DeployFixture : IAsyncLifetime
{
    public const string Account = "111111111111";

    public string Root { get; } = Directory.CreateTempSubdirectory("grid-deploy-").FullName;
    public PostgresServer Postgres { get; private set; } = null!;
    public TestCertificate Certificate { get; private set; } = null!;

    /// <summary>The server as built for the tests, installed from with --from (instead of a slower dotnet publish).</summary>
    public static string BuiltServer => Path.GetDirectoryName(RepoPaths.ServerDll)!;

    public static string InstallScript => Path.Combine(RepoPaths.Root, "deploy", "install.sh");

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync();
        Certificate = await TestCertificate.CreateAsync(Path.Combine(Root, "tls"), "grid-test");
    }

    /// <summary>Runs install.sh into <paramref name="root"/> with --no-systemd; extra arguments are appended.</summary>
    public static Task<ProcessResult> InstallAsync(string root, params string[] extra) =>
        ProcessRunner.RunAsync("bash", [InstallScript, "--root", root, "--from", BuiltServer, "--no-systemd", .. extra],
            timeout: TimeSpan.FromMinutes(3));

    /// <summary>A new, migrated cluster database and an access key for <see cref="Account"/> in it.</summary>
    public async Task<(string ConnectionString, Credentials Key)> NewClusterAsync(string name)
    {
        var connectionString = await Postgres.CreateDatabaseAsync(name);
        var migrate = await GridNode.RunCommandAsync("migrate", "--postgres", connectionString);
        if (migrate.ExitCode != 0) throw new InvalidOperationException(migrate.ToString());
        var key = await GridNode.RunCommandAsync("keys", "create", "--account", Account, "--postgres", connectionString);
        if (key.ExitCode != 0) throw new InvalidOperationException(key.ToString());
        return (connectionString, Credentials.FromKeysCreateOutput(key.StandardOutput));
    }

    /// <summary>Silos of a cluster database that are active (Orleans status 3) in its membership table.</summary>
    public static async Task<long> ActiveSilosAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE Status = 3", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until the cluster has <paramref name="expected"/> active silos (membership converges in seconds).</summary>
    public static async Task WaitForActiveSilosAsync(string connectionString, long expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long active;
        while ((active = await ActiveSilosAsync(connectionString)) != expected && DateTime.UtcNow < deadline) await Task.Delay(250);
        Assert.Equal(expected, active);
    }

    /// <summary>A small Python function that says which node ran it.</summary>
    public static byte[] EchoZip() => Zips.Create(("app.py", "def handler(e, c):\n    return {'echo': e}\n"));

    public static async Task CreateEchoAsync(AwsCli cli, string name, params string[] extra) =>
        await cli.OkAsync(["lambda", "create-function", "--function-name", name, "--runtime", "python3.11", "--handler", "app.handler",
            "--role", $"arn:aws:iam::{cli.Credentials.AccountId}:role/test", "--zip-file", Zips.ToFileArgument(EchoZip()), .. extra]);

    public async Task DisposeAsync()
    {
        if (Postgres is not null) await Postgres.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
