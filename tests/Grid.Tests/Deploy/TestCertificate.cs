using Grid.Tests.Infrastructure;

namespace Grid.Tests.Deploy;

/// <summary>A self-signed certificate for 127.0.0.1 made with the openssl CLI, as an operator would make one.</summary>
public sealed record TestCertificate(string CertificateFile, string KeyFile)
{
    public static async Task<TestCertificate> CreateAsync(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var certificate = Path.Combine(directory, name + ".crt");
        var key = Path.Combine(directory, name + ".key");
        var result = await ProcessRunner.RunAsync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=" + name, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", key, "-out", certificate]);
        if (result.ExitCode != 0) throw new InvalidOperationException("openssl could not make a test certificate:\n" + result);
        return new TestCertificate(certificate, key);
    }

    /// <summary>Grid__Tls__* settings that turn on HTTPS (and optionally cluster TLS) with this certificate.</summary>
    public Dictionary<string, string> NodeSettings(bool clusterTls = false) => new()
    {
        ["Grid__Tls__CertificateFile"] = CertificateFile,
        ["Grid__Tls__KeyFile"] = KeyFile,
        ["Grid__Tls__Cluster__Enabled"] = clusterTls ? "true" : "false",
    };
}
