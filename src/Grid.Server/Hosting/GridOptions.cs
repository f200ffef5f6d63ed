using System.ComponentModel.DataAnnotations;

namespace Grid.Server.Hosting;

/// <summary>Everything a Grid node is configured with (section "Grid" of appsettings, GRID_* env, flags).</summary>
public sealed class GridOptions
{
    public const string Section = "Grid";

    /// <summary>Where the node keeps its SQLite file, code cache, logs and sandboxes.</summary>
    [Required] public string DataDirectory { get; set; } = ".grid";

    /// <summary>Address the HTTP front door (Lambda API) listens on.</summary>
    [Required] public string ListenAddress { get; set; } = "127.0.0.1";

    [Range(1, 65535)] public int Port { get; set; } = 9000;

    /// <summary>Set to run in cluster mode: metadata, code and Orleans membership in PostgreSQL.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Region reported in ARNs.</summary>
    [RegularExpression(@"^[a-z]{2}(-gov)?-[a-z]+-\d$")] public string Region { get; set; } = "us-east-1";

    /// <summary>Most shards one Grid stream may have (Kinesis CreateStream ShardCount); sequence numbers hold 4 shard digits.</summary>
    [Range(1, 9999)] public int MaxStreamShards { get; set; } = 64;

    /// <summary>How often a node removes stream records older than their stream's retention (and records of deleted streams).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StreamRetentionSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    [Required] public string ClusterId { get; set; } = "grid";
    [Required] public string ServiceId { get; set; } = "grid";
    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;
    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other nodes reach this one on (cluster mode). Defaults to the first non-loopback IPv4.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Access keys accepted besides the ones stored in the database.</summary>
    public List<AccessKeyOptions> AccessKeys { get; set; } = [];

    /// <summary>How long an idle warm environment is kept before its process ends (scale to zero).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan IdleEnvironmentTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Scheduling niceness of function processes (0 = the node's own). Above 0 the node's threads (front door, dispatch,
    /// replies) run before function code, so busy or runaway functions cannot starve the invocations of others.
    /// </summary>
    [Range(0, 19)]
    public int FunctionNiceness { get; set; } = 5;

    /// <summary>How long a node trusts its cached copy of a function's configuration before re-reading it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ConfigCacheDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Run functions as plain child processes, without bubblewrap and cgroups (development machines only).</summary>
    public bool DisableIsolation { get; set; }

    /// <summary>Refuse to start when bubblewrap or cgroups are missing instead of running functions unisolated.</summary>
    public bool RequireIsolation { get; set; }

    /// <summary>Most warm environments one function version may hold on one node.</summary>
    [Range(1, 10000)] public int MaxEnvironmentsPerFunction { get; set; } = 1000;

    /// <summary>Days of invocation logs kept on the node.</summary>
    [Range(1, 3650)] public int LogRetentionDays { get; set; } = 7;

    /// <summary>Async invocation: wait before the first retry of a failed event; the second waits twice as long (Lambda: 1 and 2 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan AsyncRetryBaseDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Async invocation: how long a node's claim on an event lasts without renewal (renewed every third of it while it runs); a killed node's events are retried by another node after it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AsyncLeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Async invocation: how often a node looks for due events (it is woken at once when it queues one itself).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan AsyncPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Async invocation: events one node runs at the same time.</summary>
    [Range(1, 10000)] public int AsyncConcurrency { get; set; } = 32;

    /// <summary>File holding the base64 AES-256 key that encrypts environment variables at rest (embedded default: data/environment.key).</summary>
    public string? EnvironmentKeyFile { get; set; }

    /// <summary>The same key given inline (base64); wins over <see cref="EnvironmentKeyFile"/>.</summary>
    public string? EnvironmentKey { get; set; }

    /// <summary>Earlier keys, still accepted for reading while <c>Grid.Server reencrypt</c> moves values to the current key.</summary>
    public List<string> RetiredEnvironmentKeyFiles { get; set; } = [];

    /// <summary>Concurrent executions per account across the cluster (Lambda's default quota); 100 always stay unreserved.</summary>
    [Range(1, 1_000_000)] public int AccountConcurrencyLimit { get; set; } = 1000;

    /// <summary>Admission control (reserved and account concurrency); off only to measure what it costs.</summary>
    public bool EnforceConcurrency { get; set; } = true;

    /// <summary>Concurrency reservations must leave this much of the account limit to unreserved functions (Lambda: 100).</summary>
    [Range(0, 1_000_000)] public int MinimumUnreservedConcurrency { get; set; } = 100;

    /// <summary>New environments one function may start on one node per 10 seconds (Lambda scales by 1,000 per 10 s); beyond it, 429.</summary>
    [Range(1, 1_000_000)] public int ScalingRatePer10Seconds { get; set; } = 1000;

    /// <summary>Metrics (/metrics), traces, OTLP export, the Orleans Dashboard.</summary>
    public TelemetryOptions Telemetry { get; set; } = new();

    /// <summary>HTTPS for the Lambda API and, optionally, TLS between the nodes (deploy/README.md, "TLS").</summary>
    public GridTlsOptions Tls { get; set; } = new();

    /// <summary>How long a stopping node waits for running requests (invocations run up to 15 minutes) before it cuts them off.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(10);

    public bool IsClusterMode => !string.IsNullOrWhiteSpace(PostgresConnectionString);

    public string FullDataDirectory => Path.GetFullPath(DataDirectory.StartsWith('~')
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), DataDirectory.TrimStart('~', '/'))
        : DataDirectory);
}

public sealed class TelemetryOptions
{
    /// <summary>Metrics and traces; off only to measure what they cost.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>OTLP collector (e.g. http://otel-collector:4318): metrics, traces and logs are exported there too.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>"http/protobuf" (port 4318) or "grpc" (port 4317).</summary>
    [RegularExpression("^(http/protobuf|grpc)$")] public string OtlpProtocol { get; set; } = "http/protobuf";

    /// <summary>The Orleans Dashboard at /dashboard (HTTP Basic auth with an access key id and its secret).</summary>
    public bool Dashboard { get; set; } = true;
}

public sealed class GridTlsOptions
{
    /// <summary>PEM certificate (leaf first, then its chain) or a PKCS#12 (.pfx) file; when set, Port serves HTTPS only.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="CertificateFile"/> (not used with a .pfx).</summary>
    public string? KeyFile { get; set; }

    /// <summary>Password of the .pfx, or of an encrypted PEM key.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Also serve plain HTTP on this port (e.g. for a load balancer on a private network); off unless set.</summary>
    [Range(1, 65535)] public int? HttpPort { get; set; }

    /// <summary>TLS with mutual authentication between the nodes' silos (Orleans connection security).</summary>
    public ClusterTlsOptions Cluster { get; set; } = new();

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificateFile);
}

public sealed class ClusterTlsOptions
{
    /// <summary>Every node of a cluster must agree: a node with it on cannot talk to a node with it off.</summary>
    public bool Enabled { get; set; }

    /// <summary>This node's certificate for cluster traffic (PEM or .pfx); default: Grid:Tls:CertificateFile and KeyFile.</summary>
    public string? CertificateFile { get; set; }

    public string? KeyFile { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>PEM file with the CA certificate(s) that issued the nodes' cluster certificates; default: the certificates
    /// in this node's own certificate file (one self-signed certificate shared by every node).</summary>
    public string? CaFile { get; set; }
}

public sealed class AccessKeyOptions
{
    [Required] public string AccessKeyId { get; set; } = "";
    [Required] public string SecretAccessKey { get; set; } = "";
    [Required, RegularExpression(@"^\d{12}$")] public string AccountId { get; set; } = "";
}
