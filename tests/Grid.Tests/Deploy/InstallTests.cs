using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Deploy;

/// <summary>deploy/install.sh into a temporary root (--root, --no-systemd), then the installed node in a real cluster.</summary>
[Collection(DeployCollection.Name)]
public sealed class InstallTests(DeployFixture fixture)
{
    [Fact]
    public async Task Install_lays_out_the_node_and_a_second_run_keeps_the_operators_settings_and_keys()
    {
        var root = Path.Combine(fixture.Root, "layout");
        var first = await DeployFixture.InstallAsync(root);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("grid-admin migrate", first.StandardOutput);
        Assert.Contains("systemctl enable --now grid", first.StandardOutput);

        Assert.True(File.Exists(Path.Combine(root, "opt/grid/Grid.Server.dll")));
        Assert.Equal("../../etc/grid/appsettings.json", new FileInfo(Path.Combine(root, "opt/grid/appsettings.json")).LinkTarget);
        Assert.True(Directory.Exists(Path.Combine(root, "var/lib/grid")));
        Assert.True(File.Exists(Path.Combine(root, "etc/systemd/system/grid.service")));
        Assert.True(File.Exists(Path.Combine(root, "usr/local/sbin/grid-admin")));
        var key = Path.Combine(root, "etc/grid/environment.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal(32, Convert.FromBase64String(File.ReadAllText(key).Trim()).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(root, "etc/grid/grid.env")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead,
            File.GetUnixFileMode(Path.Combine(root, "etc/grid/appsettings.json")));

        // The operator edits the settings; a reinstall (an upgrade) keeps them and the key, and refreshes the example.
        var settings = Path.Combine(root, "etc/grid/appsettings.json");
        File.WriteAllText(settings, "{ \"Grid\": { \"Port\": 9100 } }");
        var keyBefore = File.ReadAllText(key);
        var second = await DeployFixture.InstallAsync(root);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal("{ \"Grid\": { \"Port\": 9100 } }", File.ReadAllText(settings));
        Assert.Equal(keyBefore, File.ReadAllText(key));
        Assert.Contains("kept", second.StandardOutput);
        Assert.True(File.Exists(Path.Combine(root, "etc/grid/appsettings.json.example")));
        Assert.False(Directory.Exists(Path.Combine(root, "opt/grid.old")));
        Assert.False(Directory.Exists(Path.Combine(root, "opt/grid.new")));
    }

    [Fact]
    public async Task Install_explains_what_to_do_when_the_published_server_is_missing()
    {
        var result = await ProcessRunner.RunAsync("bash", [DeployFixture.InstallScript, "--root", Path.Combine(fixture.Root, "bad"),
            "--from", Path.Combine(fixture.Root, "nothing-here"), "--no-systemd"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("has no Grid.Server.dll", result.StandardError);
        Assert.Contains("dotnet publish -c Release src/Grid.Server -o DIR", result.StandardError);
    }

    [Fact]
    public async Task The_systemd_unit_passes_systemd_analyze_verify()
    {
        var root = Path.Combine(fixture.Root, "unit");
        var install = await DeployFixture.InstallAsync(root);
        Assert.True(install.ExitCode == 0, install.ToString());
        var unit = Path.Combine(root, "etc/systemd/system/grid.service");
        var verify = await ProcessRunner.RunAsync("systemd-analyze", ["verify", unit]);
        // verify exits 0 even for unknown keys; it reports every problem on stderr.
        Assert.True(verify.ExitCode == 0 && verify.StandardError.Trim().Length == 0, verify.ToString());
        var text = File.ReadAllText(unit);
        Assert.Contains("User=grid", text);
        Assert.Contains("TimeoutStopSec=16min", text);
        Assert.Contains("Delegate=yes", text);
    }

    [Fact]
    public async Task The_installed_node_joins_a_cluster_with_a_node_from_the_build_and_serves_invokes()
    {
        var root = Path.Combine(fixture.Root, "joined");
        var install = await DeployFixture.InstallAsync(root);
        Assert.True(install.ExitCode == 0, install.ToString());

        // As an operator would: the connection string in grid.env, then grid-admin migrate and keys create.
        var connectionString = await fixture.Postgres.CreateDatabaseAsync("installed");
        File.WriteAllText(Path.Combine(root, "etc/grid/grid.env"), $"Grid__PostgresConnectionString=\"{connectionString}\"\n");
        var admin = Path.Combine(root, "usr/local/sbin/grid-admin");
        var migrate = await ProcessRunner.RunAsync(admin, ["migrate"]);
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Contains("Applied", migrate.StandardOutput);
        var keys = await ProcessRunner.RunAsync(admin, ["keys", "create", "--account", DeployFixture.Account]);
        Assert.True(keys.ExitCode == 0, keys.ToString());
        var credentials = Credentials.FromKeysCreateOutput(keys.StandardOutput);

        // The installed node runs its installed settings (through the /opt/grid/appsettings.json link) with what the
        // unit adds (the key file from LoadCredential); the other node shares the same environment key, as documented.
        var keyFile = Path.Combine(root, "etc/grid/environment.key");
        await using var installed = await GridNode.StartAsync(Path.Combine(root, "var/lib/grid"), connectionString,
            new Dictionary<string, string> { ["Grid__EnvironmentKeyFile"] = keyFile },
            serverDll: Path.Combine(root, "opt/grid/Grid.Server.dll"));
        await using var built = await GridNode.StartAsync(Path.Combine(fixture.Root, "joined-built"), connectionString,
            new Dictionary<string, string> { ["Grid__EnvironmentKey"] = File.ReadAllText(keyFile).Trim() });
        Assert.Contains("Grid node listening on http://0.0.0.0", installed.Output);   // ListenAddress from the installed template

        await DeployFixture.WaitForActiveSilosAsync(connectionString, 2);
        var viaInstalled = new AwsCli(installed.Endpoint, credentials);
        var viaBuilt = new AwsCli(built.Endpoint, credentials);
        var name = NodeFixture.UniqueName("installed");
        await DeployFixture.CreateEchoAsync(viaInstalled, name, "--environment", "Variables={SECRET=kept}");
        var result = await viaInstalled.InvokeAsync(name, """{"via":"installed"}""");
        Assert.Equal("installed", (string?)result.Json!["echo"]!["via"]);
        result = await viaBuilt.InvokeAsync(name, """{"via":"built"}""");
        Assert.Equal("built", (string?)result.Json!["echo"]!["via"]);
        // Both nodes decrypt the environment written through the installed one: the same key everywhere.
        var configuration = await viaBuilt.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal("kept", (string?)configuration["Environment"]!["Variables"]!["SECRET"]);
    }
}
