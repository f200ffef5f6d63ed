using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Orleans.Connections.Security;

namespace Grid.Server.Hosting;

/// <summary>
/// The node's certificates, loaded once at start (Grid:Tls): HTTPS on the Lambda API port and, optionally, mutually
/// authenticated TLS between silos. A renewed certificate takes effect when the node restarts.
/// </summary>
public sealed class TlsSetup
{
    private readonly X509Certificate2? _frontDoor;
    private readonly X509Certificate2? _cluster;
    private readonly X509Certificate2Collection _clusterAuthorities;

    private TlsSetup(X509Certificate2? frontDoor, X509Certificate2? cluster, X509Certificate2Collection clusterAuthorities)
    {
        _frontDoor = frontDoor;
        _cluster = cluster;
        _clusterAuthorities = clusterAuthorities;
    }

    public string Scheme => _frontDoor is null ? "http" : "https";

    public static TlsSetup Load(GridOptions options)
    {
        var tls = options.Tls;
        var frontDoor = tls.Enabled ? LoadCertificate("Grid:Tls", tls.CertificateFile!, Set(tls.KeyFile), tls.CertificatePassword) : null;
        if (!tls.Cluster.Enabled) return new TlsSetup(frontDoor, null, []);

        var cluster = tls.Cluster;
        var certificateFile = Set(cluster.CertificateFile) ?? Set(tls.CertificateFile)
            ?? throw new StartupException("Grid:Tls:Cluster:Enabled is set but no certificate is configured: set Grid:Tls:Cluster:CertificateFile "
                + "(and KeyFile), or Grid:Tls:CertificateFile to use the front door's certificate for the cluster too.");
        var clusterCertificate = Set(cluster.CertificateFile) is null
            ? frontDoor!
            : LoadCertificate("Grid:Tls:Cluster", certificateFile, Set(cluster.KeyFile), cluster.CertificatePassword);
        // Without a CA file the certificates in the node's own file are the trust anchors: one self-signed
        // certificate (or one CA chain) shared by every node.
        var authorities = new X509Certificate2Collection();
        var caFile = Set(cluster.CaFile) ?? certificateFile;
        if (Set(cluster.CaFile) is not null || !IsPkcs12(caFile))
        {
            Require(caFile, "Grid:Tls:Cluster:CaFile");
            authorities.ImportFromPemFile(caFile);
        }
        if (authorities.Count == 0) authorities.Add(clusterCertificate);
        return new TlsSetup(frontDoor, clusterCertificate, authorities);
    }

    /// <summary>The Lambda API endpoint: HTTPS only when a certificate is configured; plain HTTP on Grid:Tls:HttpPort only if set.</summary>
    public void Listen(KestrelServerOptions kestrel, GridOptions options)
    {
        var address = IPAddress.Parse(options.ListenAddress);
        kestrel.Listen(address, options.Port, listen =>
        {
            if (_frontDoor is not null) listen.UseHttps(_frontDoor);
        });
        if (_frontDoor is not null && options.Tls.HttpPort is { } httpPort) kestrel.Listen(address, httpPort);
    }

    /// <summary>Silo-to-silo TLS: each side presents its certificate and accepts only certificates issued by the cluster's CA.</summary>
    public void Configure(ISiloBuilder silo)
    {
        if (_cluster is null) return;
        silo.UseTls(_cluster, o =>
        {
            o.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            // Nodes are addressed by IP, so the host name is not checked; the issuer is.
            o.RemoteCertificateValidation = (certificate, _, _) => IsIssuedByClusterAuthority(certificate);
        });
    }

    private bool IsIssuedByClusterAuthority(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_clusterAuthorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static X509Certificate2 LoadCertificate(string section, string certificateFile, string? keyFile, string? password)
    {
        Require(certificateFile, section + ":CertificateFile");
        try
        {
            if (IsPkcs12(certificateFile)) return X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password);
            if (keyFile is null)
            {
                throw new StartupException($"{section}:KeyFile is not set: a PEM certificate ({certificateFile}) needs its private key file.");
            }
            Require(keyFile, section + ":KeyFile");
            return string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPemFile(certificateFile, keyFile)
                : X509Certificate2.CreateFromEncryptedPemFile(certificateFile, password, keyFile);
        }
        catch (CryptographicException e)
        {
            throw new StartupException($"Cannot load the certificate {certificateFile} ({section}): {e.Message}\n"
                + "Give a PEM certificate with its PEM private key (CertificateFile + KeyFile), or a .pfx with CertificatePassword.");
        }
    }

    /// <summary>A JSON null or "" in appsettings binds as an empty string: treat it as unset.</summary>
    private static string? Set(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static bool IsPkcs12(string file) => Path.GetExtension(file).ToLowerInvariant() is ".pfx" or ".p12";

    private static void Require(string file, string setting)
    {
        try
        {
            using var _ = File.OpenRead(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"{setting}: cannot read {file} ({e.Message}). "
                + "Check the path and that the node's user may read it (deploy/README.md, \"TLS\").");
        }
    }
}
