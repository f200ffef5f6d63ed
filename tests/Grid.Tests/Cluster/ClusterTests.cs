using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Cluster;

/// <summary>Two nodes on one PostgreSQL: shared metadata and code, Orleans membership through our own schema.</summary>
public sealed class ClusterTests(ClusterNodeFixture fixture) : IClassFixture<ClusterNodeFixture>
{
    [Fact]
    public async Task A_function_created_on_node_one_is_readable_and_invocable_on_node_two()
    {
        await using var second = await fixture.StartNodeAsync("node2");
        var name = NodeFixture.UniqueName("shared");
        var zip = Zips.Create(("app.py", "import os\ndef handler(e, c):\n    return {'echo': e}\n"));
        await fixture.Cli.OkAsync("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", "app.handler", "--role", $"arn:aws:iam::{fixture.Main.AccountId}:role/test", "--zip-file", Zips.ToFileArgument(zip));

        var viaSecond = new AwsCli(second.Endpoint, fixture.Main);
        var configuration = await viaSecond.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal(Zips.Sha256(zip), (string?)configuration["CodeSha256"]);
        var listed = await viaSecond.OkAsync("lambda", "list-functions");
        Assert.Contains(listed["Functions"]!.AsArray(), f => (string?)f!["FunctionName"] == name);

        // The code location from node two serves the package stored through node one.
        var function = await viaSecond.OkAsync("lambda", "get-function", "--function-name", name);
        using var http = new HttpClient();
        Assert.Equal(zip, await http.GetByteArrayAsync((string)function["Code"]!["Location"]!));

        var result = await viaSecond.InvokeAsync(name, """{"from":"node2"}""");
        Assert.Equal("node2", (string?)result.Json!["echo"]!["from"]);

        // A change made through node two is seen by node one.
        await viaSecond.OkAsync("lambda", "update-function-configuration", "--function-name", name, "--timeout", "11");
        var fromFirst = await fixture.Cli.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal(11, (int?)fromFirst["Timeout"]);
    }

    [Fact]
    public async Task Both_silos_are_active_in_the_membership_table_and_a_stopped_one_leaves()
    {
        await using var second = await fixture.StartNodeAsync("node3");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long active;
        do
        {
            active = await fixture.CountAsync(
                $"SELECT count(*) FROM OrleansMembershipTable WHERE Status = 3 AND Port IN ({fixture.Node.SiloPort}, {second.SiloPort})");
            if (active == 2) break;
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(2, active);

        await second.StopAsync();
        Assert.Equal(0, await fixture.CountAsync(
            $"SELECT count(*) FROM OrleansMembershipTable WHERE Status = 3 AND Port = {second.SiloPort}"));
        // The first node keeps serving.
        await fixture.Cli.OkAsync("lambda", "list-functions");
    }

    [Fact]
    public async Task Migrate_is_explicit_and_idempotent_and_nodes_refuse_an_unmigrated_database()
    {
        var again = await GridNode.RunCommandAsync("migrate", "--postgres", fixture.ConnectionString);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("Schema is up to date (PostgreSQL)", again.StandardOutput);

        var empty = await fixture.Postgres.CreateDatabaseAsync("unmigrated");
        var refused = await GridNode.RunCommandAsync("--postgres", empty, "--port", FreePort.Next().ToString(),
            "--data", Path.Combine(fixture.Root, "refused"));
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("migration(s) pending", refused.StandardError);
        Assert.Contains("Grid.Server migrate --postgres", refused.StandardError);
        Assert.Equal(0, await CountTablesAsync(empty));

        var unreachable = await GridNode.RunCommandAsync("--postgres",
            $"Host=127.0.0.1;Port={FreePort.Next()};Username=x;Timeout=3", "--port", FreePort.Next().ToString(),
            "--data", Path.Combine(fixture.Root, "unreachable"));
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Contains("Cannot reach PostgreSQL", unreachable.StandardError);
    }

    private static async Task<long> CountTablesAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
