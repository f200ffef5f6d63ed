using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Deploy;

/// <summary>Grid:Tls: HTTPS on the Lambda API port for the AWS CLI, and mutually authenticated TLS between silos.</summary>
[Collection(DeployCollection.Name)]
public sealed class TlsTests(DeployFixture fixture)
{
    [Fact]
    public async Task The_aws_cli_lists_and_invokes_over_https_and_plain_http_or_an_untrusted_certificate_fail()
    {
        var data = Path.Combine(fixture.Root, "https");
        await using var node = await GridNode.StartAsync(data, environment: fixture.Certificate.NodeSettings(), scheme: "https");
        Assert.Contains($"Grid node listening on https://127.0.0.1:{node.Port}", node.Output);
        var credentials = Credentials.FromCredentialsFile(Path.Combine(data, "credentials"), "000000000000");
        var cli = new AwsCli(node.Endpoint, credentials);
        string[] trust = ["--ca-bundle", fixture.Certificate.CertificateFile];

        var name = NodeFixture.UniqueName("tls");
        await DeployFixture.CreateEchoAsync(cli, name, trust);
        var listed = await cli.OkAsync(["lambda", "list-functions", .. trust]);
        Assert.Contains(listed["Functions"]!.AsArray(), f => (string?)f!["FunctionName"] == name);
        var result = await cli.InvokeAsync(name, """{"over":"tls"}""", trust);
        Assert.Equal("tls", (string?)result.Json!["echo"]!["over"]);

        // The same port does not speak plain HTTP, and a client that does not trust the certificate refuses it.
        var plain = await new AwsCli($"http://127.0.0.1:{node.Port}", credentials).RunAsync("lambda", "list-functions");
        Assert.False(plain.Succeeded, plain.ToString());
        Assert.Contains("Connection was closed", plain.Process.StandardError);
        var untrusted = await cli.RunAsync("lambda", "list-functions");
        Assert.False(untrusted.Succeeded, untrusted.ToString());
        Assert.Contains("CERTIFICATE_VERIFY_FAILED", untrusted.Process.StandardError);
    }

    [Fact]
    public async Task A_missing_certificate_file_stops_the_node_with_a_message_that_names_the_setting()
    {
        var result = await GridNode.RunCommandAsync(new Dictionary<string, string?>
            {
                ["Grid__Tls__CertificateFile"] = Path.Combine(fixture.Root, "missing.crt"),
                ["Grid__Tls__KeyFile"] = fixture.Certificate.KeyFile,
            },
            "--port", FreePort.Next().ToString(), "--data", Path.Combine(fixture.Root, "missing-cert"));
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Grid:Tls:CertificateFile: cannot read", result.StandardError);
    }

    [Fact]
    public async Task Two_nodes_with_cluster_tls_form_a_cluster_and_their_silo_ports_speak_tls()
    {
        var (connectionString, key) = await fixture.NewClusterAsync("clustertls");
        var environment = new Dictionary<string, string>(fixture.Certificate.NodeSettings(clusterTls: true))
        {
            ["Grid__EnvironmentKey"] = Convert.ToBase64String(new byte[32]),
        };
        await using var first = await GridNode.StartAsync(Path.Combine(fixture.Root, "tls-node1"), connectionString, environment, scheme: "https");
        await using var second = await GridNode.StartAsync(Path.Combine(fixture.Root, "tls-node2"), connectionString, environment, scheme: "https");
        await DeployFixture.WaitForActiveSilosAsync(connectionString, 2);

        string[] trust = ["--ca-bundle", fixture.Certificate.CertificateFile];
        var name = NodeFixture.UniqueName("clustertls");
        await DeployFixture.CreateEchoAsync(new AwsCli(first.Endpoint, key), name, trust);
        foreach (var node in new[] { first, second })
        {
            var result = await new AwsCli(node.Endpoint, key).InvokeAsync(name, $$"""{"node":{{node.Port}}}""", trust);
            Assert.Equal(node.Port, (int?)result.Json!["echo"]!["node"]);
        }

        // The silo port answers a TLS handshake with the cluster certificate (without cluster TLS it speaks raw Orleans).
        var handshake = await ProcessRunner.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{second.SiloPort}",
            "-CAfile", fixture.Certificate.CertificateFile, "-cert", fixture.Certificate.CertificateFile, "-key", fixture.Certificate.KeyFile],
            standardInput: "", timeout: TimeSpan.FromSeconds(30));
        Assert.Contains("CN = grid-test", handshake.StandardOutput);
        Assert.Contains("Verify return code: 0 (ok)", handshake.StandardOutput);
    }
}
