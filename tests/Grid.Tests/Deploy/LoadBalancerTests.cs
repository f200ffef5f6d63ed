using System.Text.RegularExpressions;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Deploy;

/// <summary>deploy/nginx.conf, with only its addresses, ports and certificate replaced, in front of two cluster nodes.</summary>
[Collection(DeployCollection.Name)]
public sealed partial class LoadBalancerTests(DeployFixture fixture)
{
    [Fact]
    public async Task Aws_cli_calls_through_nginx_reach_both_nodes_and_keep_their_signatures_valid()
    {
        var (connectionString, key) = await fixture.NewClusterAsync("balanced");
        var environment = new Dictionary<string, string> { ["Grid__EnvironmentKey"] = Convert.ToBase64String(new byte[32]) };
        await using var first = await GridNode.StartAsync(Path.Combine(fixture.Root, "lb-node1"), connectionString, environment);
        await using var second = await GridNode.StartAsync(Path.Combine(fixture.Root, "lb-node2"), connectionString, environment);

        var directory = Path.Combine(fixture.Root, "nginx");
        await using var nginx = await Nginx.StartAsync(directory, fixture.Certificate, [first.Port, second.Port]);
        var cli = new AwsCli($"https://127.0.0.1:{nginx.HttpsPort}", key);
        string[] trust = ["--ca-bundle", fixture.Certificate.CertificateFile];

        var name = NodeFixture.UniqueName("balanced");
        await DeployFixture.CreateEchoAsync(cli, name, trust);
        for (var i = 0; i < 6; i++)
        {
            var result = await cli.InvokeAsync(name, $$"""{"n":{{i}}}""", trust);
            Assert.Equal(i, (int?)result.Json!["echo"]!["n"]);
        }
        var listed = await cli.OkAsync(["lambda", "list-functions", .. trust]);
        Assert.Contains(listed["Functions"]!.AsArray(), f => (string?)f!["FunctionName"] == name);

        // Requests were spread: nginx's log names the node behind each one, and every status was a success.
        var log = await File.ReadAllLinesAsync(nginx.AccessLog);
        Assert.Contains(log, l => l.Contains($"127.0.0.1:{first.Port}", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains($"127.0.0.1:{second.Port}", StringComparison.Ordinal));
        Assert.All(log, l => Assert.Matches("^2\\d\\d ", l));
    }

    /// <summary>nginx as a foreground child process with the repository's site configuration.</summary>
    private sealed class Nginx(System.Diagnostics.Process process, int httpsPort, string accessLog) : IAsyncDisposable
    {
        public int HttpsPort => httpsPort;
        public string AccessLog => accessLog;

        public static async Task<Nginx> StartAsync(string directory, TestCertificate certificate, int[] nodePorts)
        {
            Directory.CreateDirectory(directory);
            var site = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "nginx.conf"));
            var httpsPort = FreePort.Next();
            var nodes = string.Concat(nodePorts.Select(p => $"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;\n"));
            site = UpstreamServers().Replace(site, "");
            site = site.Replace("    keepalive 64;", nodes + "    keepalive 64;", StringComparison.Ordinal)
                .Replace("listen 443 ssl;", $"listen 127.0.0.1:{httpsPort} ssl;", StringComparison.Ordinal)
                .Replace("listen 80;", $"listen 127.0.0.1:{FreePort.Next()};", StringComparison.Ordinal)
                .Replace("/etc/nginx/tls/grid.crt", certificate.CertificateFile, StringComparison.Ordinal)
                .Replace("/etc/nginx/tls/grid.key", certificate.KeyFile, StringComparison.Ordinal);
            site = Ipv6Listen().Replace(site, "");
            await File.WriteAllTextAsync(Path.Combine(directory, "grid.conf"), site);

            var accessLog = Path.Combine(directory, "access.log");
            await File.WriteAllTextAsync(Path.Combine(directory, "nginx.conf"), $$"""
                user root;
                daemon off;
                worker_processes 1;
                pid {{directory}}/nginx.pid;
                error_log {{directory}}/error.log warn;
                events { worker_connections 256; }
                http {
                    log_format upstream '$status $upstream_addr $request';
                    access_log {{accessLog}} upstream;
                    client_body_temp_path {{directory}}/body;
                    proxy_temp_path {{directory}}/proxy;
                    fastcgi_temp_path {{directory}}/fastcgi;
                    uwsgi_temp_path {{directory}}/uwsgi;
                    scgi_temp_path {{directory}}/scgi;
                    include {{directory}}/grid.conf;
                }
                """);
            var check = await ProcessRunner.RunAsync("nginx", ["-t", "-p", directory, "-c", Path.Combine(directory, "nginx.conf")]);
            if (check.ExitCode != 0) throw new Xunit.Sdk.XunitException("nginx -t refused the configuration:\n" + check);

            var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("nginx")
            {
                ArgumentList = { "-p", directory, "-c", Path.Combine(directory, "nginx.conf") },
                UseShellExecute = false,
            })!;
            var nginx = new Nginx(process, httpsPort, accessLog);
            for (var attempt = 0; attempt < 100 && !await nginx.AcceptsAsync(); attempt++) await Task.Delay(100);
            return nginx;
        }

        private async Task<bool> AcceptsAsync()
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, httpsPort);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            // SIGQUIT: nginx's graceful stop; its workers leave with the master.
            if (!process.HasExited) await ProcessRunner.RunAsync("kill", ["-QUIT", process.Id.ToString()]);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); }
            process.Dispose();
        }
    }

    [GeneratedRegex(@"^\s*server 10\.0\.0\.\d+:9000[^\n]*\n", RegexOptions.Multiline)]
    private static partial Regex UpstreamServers();

    [GeneratedRegex(@"^\s*listen \[::\]:\d+( ssl)?;\n", RegexOptions.Multiline)]
    private static partial Regex Ipv6Listen();
}
