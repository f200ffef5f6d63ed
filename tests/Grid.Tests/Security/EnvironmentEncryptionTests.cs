using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Security;

/// <summary>What the encryption tests do to a function: secrets in $LATEST, a published version and an update.</summary>
public static class Secrets
{
    public static string New(string label) => $"grid-secret-{label}-{Guid.NewGuid():N}";

    /// <summary>
    /// Creates a function with <paramref name="first"/>, publishes version 1, updates $LATEST to <paramref name="second"/>
    /// and publishes version 2; checks the API returns both in plain text and an invoke sees the current one.
    /// </summary>
    public static async Task<string> StoreAsync(AwsCli cli, string first, string second)
    {
        var name = NodeFixture.UniqueName("secret");
        var zip = Zips.Create(("app.py", "import os\ndef handler(event, context):\n    return {'secret': os.environ.get('GRID_TEST_SECRET')}\n"));
        var created = await cli.OkAsync("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", "app.handler", "--role", $"arn:aws:iam::{cli.Credentials.AccountId}:role/test", "--zip-file", Zips.ToFileArgument(zip),
            "--environment", $"Variables={{GRID_TEST_SECRET={first},OTHER=plain}}");
        Assert.Equal(first, (string?)created["Environment"]!["Variables"]!["GRID_TEST_SECRET"]);
        Assert.Equal("1", (string?)(await cli.OkAsync("lambda", "publish-version", "--function-name", name))["Version"]);
        var updated = await cli.OkAsync("lambda", "update-function-configuration", "--function-name", name,
            "--environment", $"Variables={{GRID_TEST_SECRET={second}}}");
        Assert.Equal(second, (string?)updated["Environment"]!["Variables"]!["GRID_TEST_SECRET"]);
        Assert.Equal("2", (string?)(await cli.OkAsync("lambda", "publish-version", "--function-name", name))["Version"]);

        Assert.Equal(first, await ReadAsync(cli, name, "1"));
        Assert.Equal(second, await ReadAsync(cli, name, "2"));
        Assert.Equal(second, await ReadAsync(cli, name));
        var function = await cli.OkAsync("lambda", "get-function", "--function-name", name);
        Assert.Equal(second, (string?)function["Configuration"]!["Environment"]!["Variables"]!["GRID_TEST_SECRET"]);
        Assert.Equal(first, (string?)(await cli.InvokeAsync(name, "{}", "--qualifier", "1")).Json!["secret"]);
        Assert.Equal(second, (string?)(await cli.InvokeAsync(name, "{}", "--qualifier", "2")).Json!["secret"]);
        return name;
    }

    public static async Task<string?> ReadAsync(AwsCli cli, string name, string? qualifier = null)
    {
        var configuration = await cli.OkAsync(["lambda", "get-function-configuration", "--function-name", name,
            .. qualifier is null ? Array.Empty<string>() : ["--qualifier", qualifier]]);
        return (string?)configuration["Environment"]?["Variables"]?["GRID_TEST_SECRET"];
    }

    /// <summary>Reads a SQLite database's files (main file, WAL, journal) while the node may still be writing them.</summary>
    public static byte[] SqliteFiles(string dataDirectory)
    {
        using var all = new MemoryStream();
        foreach (var suffix in new[] { "", "-wal", "-journal", "-shm" })
        {
            var path = Path.Combine(dataDirectory, "grid.db" + suffix);
            if (!File.Exists(path)) continue;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.CopyTo(all);
        }
        return all.ToArray();
    }

    public static void AssertAbsent(byte[] haystack, string secret, string where)
    {
        Assert.True(haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{where} holds the secret {secret} in plain text");
        Assert.True(haystack.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) < 0, $"{where} holds the secret {secret} as UTF-16");
    }

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string WriteKeyFile(string directory, string name, string key, string trailer = "")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, key + trailer);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}

/// <summary>Embedded mode: the node's own key file, nothing readable at rest, rotation with the reencrypt verb.</summary>
public sealed class EmbeddedEnvironmentEncryptionTests(EmbeddedNodeFixture fixture) : IClassFixture<EmbeddedNodeFixture>
{
    [Fact]
    public async Task Values_are_plain_in_the_api_and_absent_from_the_database_files_and_the_node_output()
    {
        var keyFile = Path.Combine(fixture.Node.DataDirectory, "environment.key");
        Assert.True(File.Exists(keyFile), "the embedded node creates data/environment.key on first start");
        Assert.Equal(32, Convert.FromBase64String(File.ReadAllText(keyFile).Trim()).Length);

        var first = Secrets.New("embedded-one");
        var second = Secrets.New("embedded-two");
        await Secrets.StoreAsync(fixture.Cli, first, second);

        var database = Secrets.SqliteFiles(fixture.Node.DataDirectory);
        Assert.NotEmpty(database);
        Secrets.AssertAbsent(database, first, "grid.db");
        Secrets.AssertAbsent(database, second, "grid.db");
        Assert.DoesNotContain(first, fixture.Node.Output);
        Assert.DoesNotContain(second, fixture.Node.Output);
    }

    [Fact]
    public async Task The_key_survives_a_restart_and_values_stay_readable()
    {
        var data = Directory.CreateTempSubdirectory("grid-envkey-").FullName;
        try
        {
            var secret = Secrets.New("restart");
            string name;
            string key;
            await using (var node = await GridNode.StartAsync(data))
            {
                key = await File.ReadAllTextAsync(Path.Combine(data, "environment.key"));
                var cli = new AwsCli(node.Endpoint, Credentials.FromCredentialsFile(Path.Combine(data, "credentials"), "000000000000"));
                name = await Secrets.StoreAsync(cli, secret + "-v1", secret);
            }
            Assert.Equal(key, await File.ReadAllTextAsync(Path.Combine(data, "environment.key")));
            Secrets.AssertAbsent(Secrets.SqliteFiles(data), secret, "grid.db");

            await using var restarted = await GridNode.StartAsync(data);
            var again = new AwsCli(restarted.Endpoint, Credentials.FromCredentialsFile(Path.Combine(data, "credentials"), "000000000000"));
            Assert.Equal(secret, await Secrets.ReadAsync(again, name));
            Assert.Equal(secret + "-v1", await Secrets.ReadAsync(again, name, "1"));
            Assert.Equal(secret, (string?)(await again.InvokeAsync(name, "{}")).Json!["secret"]);
            Assert.Equal(key, await File.ReadAllTextAsync(Path.Combine(data, "environment.key")));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Reencrypt_moves_values_to_a_new_key_and_the_old_key_alone_no_longer_reads_them()
    {
        var root = Directory.CreateTempSubdirectory("grid-rotate-").FullName;
        try
        {
            var data = Path.Combine(root, "data");
            // Key A the way `openssl rand -base64 32 > a.key` writes it (trailing newline); key B without one.
            var keyA = Secrets.WriteKeyFile(root, "a.key", Secrets.NewKey(), "\n");
            var keyB = Secrets.WriteKeyFile(root, "b.key", Secrets.NewKey());
            var secret = Secrets.New("rotate");
            string name;

            await using (var node = await GridNode.StartAsync(data, environment: new Dictionary<string, string> { ["Grid__EnvironmentKeyFile"] = keyA }))
            {
                var cli = Cli(node, data);
                name = await Secrets.StoreAsync(cli, secret + "-v1", secret);
            }

            var reencrypt = await GridNode.RunCommandAsync(new Dictionary<string, string?>
            {
                ["Grid__EnvironmentKeyFile"] = keyB,
                ["Grid__RetiredEnvironmentKeyFiles__0"] = keyA,
                ["Grid__EnvironmentKey"] = null,
            }, "reencrypt", "--data", data);
            Assert.True(reencrypt.ExitCode == 0, reencrypt.ToString());
            Assert.DoesNotContain(secret, reencrypt.StandardOutput + reencrypt.StandardError);
            Secrets.AssertAbsent(Secrets.SqliteFiles(data), secret, "grid.db after reencrypt");

            await using (var onB = await GridNode.StartAsync(data, environment: new Dictionary<string, string> { ["Grid__EnvironmentKeyFile"] = keyB }))
            {
                var cli = Cli(onB, data);
                Assert.Equal(secret, await Secrets.ReadAsync(cli, name));
                Assert.Equal(secret + "-v1", await Secrets.ReadAsync(cli, name, "1"));
                Assert.Equal(secret, (string?)(await cli.InvokeAsync(name, "{}")).Json!["secret"]);
                Assert.Equal(secret + "-v1", (string?)(await cli.InvokeAsync(name, "{}", "--qualifier", "1")).Json!["secret"]);
                Assert.DoesNotContain(secret, onB.Output);
            }

            // Key A alone cannot read what is now under key B: an error, never the value or garbage passed off as it.
            GridNode? onA = null;
            try
            {
                onA = await GridNode.StartAsync(data, environment: new Dictionary<string, string> { ["Grid__EnvironmentKeyFile"] = keyA });
            }
            catch (InvalidOperationException refused)
            {
                Assert.DoesNotContain(secret, refused.Message); // refusing to start with the wrong key is acceptable too
            }
            if (onA is not null)
            {
                await using (onA)
                {
                    var cli = Cli(onA, data);
                    var read = await cli.RunAsync("lambda", "get-function-configuration", "--function-name", name);
                    Assert.False(read.Succeeded, "reading with the retired key alone succeeded:\n" + read);
                    Assert.DoesNotContain(secret, read.Process.StandardOutput);
                    var payload = Path.Combine(root, "payload.json");
                    var invoked = await cli.RunAsync("lambda", "invoke", "--function-name", name, payload);
                    var answer = File.Exists(payload) ? await File.ReadAllTextAsync(payload) : "";
                    Assert.DoesNotContain(secret, answer);
                    Assert.True(!invoked.Succeeded || invoked.Json?["FunctionError"] is not null,
                        "invoking with the retired key alone succeeded:\n" + invoked + "\npayload: " + answer);
                    Assert.DoesNotContain(secret, onA.Output);
                }
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static AwsCli Cli(GridNode node, string data) =>
        new(node.Endpoint, Credentials.FromCredentialsFile(Path.Combine(data, "credentials"), "000000000000"));
}

/// <summary>Cluster mode: the key comes from configuration; no row of any grid_* table holds a value in plain text.</summary>
public sealed class ClusterEnvironmentEncryptionTests(ClusterNodeFixture fixture) : IClassFixture<ClusterNodeFixture>
{
    [Fact]
    public async Task Values_are_plain_in_the_api_and_absent_from_every_grid_table_and_the_node_output()
    {
        var first = Secrets.New("cluster-one");
        var second = Secrets.New("cluster-two");
        await Secrets.StoreAsync(fixture.Cli, first, second);

        var rows = await AllGridRowsAsync();
        Assert.Contains(rows, r => r.Table == "grid_functions");
        foreach (var (table, text) in rows)
        {
            Assert.False(text.Contains(first, StringComparison.Ordinal), $"{table} holds {first} in plain text: {text}");
            Assert.False(text.Contains(second, StringComparison.Ordinal), $"{table} holds {second} in plain text: {text}");
        }
        Assert.DoesNotContain(first, fixture.Node.Output);
        Assert.DoesNotContain(second, fixture.Node.Output);
    }

    [Fact]
    public async Task A_second_node_with_the_same_key_in_a_file_reads_the_values()
    {
        var secret = Secrets.New("keyfile");
        var name = await Secrets.StoreAsync(fixture.Cli, secret + "-v1", secret);
        var keyFile = Secrets.WriteKeyFile(fixture.Root, "cluster.key", fixture.EnvironmentKey, "\n");

        await using var second = await GridNode.StartAsync(Path.Combine(fixture.Root, "keyfile-node"), fixture.ConnectionString,
            new Dictionary<string, string> { ["Grid__EnvironmentKeyFile"] = keyFile });
        var cli = new AwsCli(second.Endpoint, fixture.Main);
        Assert.Equal(secret, await Secrets.ReadAsync(cli, name));
        Assert.Equal(secret + "-v1", await Secrets.ReadAsync(cli, name, "1"));
        Assert.Equal(secret, (string?)(await cli.InvokeAsync(name, "{}")).Json!["secret"]);
    }

    [Fact]
    public async Task A_cluster_node_without_an_environment_key_refuses_to_start()
    {
        GridNode? started = null;
        string? message = null;
        try
        {
            started = await GridNode.StartAsync(Path.Combine(fixture.Root, "keyless"), fixture.ConnectionString);
        }
        catch (InvalidOperationException refused)
        {
            message = refused.Message;
        }
        if (started is not null)
        {
            await started.DisposeAsync();
            Assert.Fail("a cluster node started without Grid:EnvironmentKey or Grid:EnvironmentKeyFile");
        }
        var exit = Regex.Match(message!, @"exited with (-?\d+) during start");
        Assert.True(exit.Success, message);
        Assert.NotEqual("0", exit.Groups[1].Value);
        Assert.Contains("EnvironmentKey", message);
    }

    private async Task<List<(string Table, string Text)>> AllGridRowsAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var command = new Npgsql.NpgsqlCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'grid\\_%'", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        var rows = new List<(string, string)>();
        foreach (var table in tables)
        {
            await using var command = new Npgsql.NpgsqlCommand($"SELECT t::text FROM {table} t", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add((table, reader.GetString(0)));
        }
        return rows;
    }
}
