using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Grid.Server.Api;
using Grid.Server.Api.Auth;
using Grid.Server.Control;
using Grid.Server.Execution;
using Grid.Server.Execution.RuntimeApi;
using Grid.Server.Storage;
using Grid.Server.Telemetry;
using Grid.Server.Triggers.Delivery;
using Orleans.Dashboard;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Grid.Server.Hosting;

/// <summary>Builds and runs one Grid node: an Orleans silo with the Lambda API on Kestrel in front of it.</summary>
public static class NodeHost
{
    public static async Task<int> RunAsync(GridOptions options, IConfiguration configuration, string[] args)
    {
        var tls = TlsSetup.Load(options);
        var database = Database.Open(options);
        await NodeCommands.EnsureSchemaAsync(database, options);

        // Content root = the install directory: a watched working directory full of logs and sandboxes costs CPU per invoke.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false", .. args], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.AddFilter("Orleans", LogLevel.Warning).AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            .AddFilter("Microsoft.Hosting", LogLevel.Warning).AddFilter("Polly", LogLevel.Error); // Orleans placement retries through Polly and logs its own failures
        builder.WebHost.ConfigureKestrel(k =>
        {
            tls.Listen(k, options);
            k.Listen(new RuntimeApiEndPoint());
            k.Limits.MaxRequestBodySize = 80 * 1024 * 1024;
            k.AddServerHeader = false;
        });

        // Kestrel runs a request on the thread that received it and sends the response on the thread that wrote it,
        // instead of a thread-pool hop for each: two of the hops of an invoke. Socket completions still run on the thread
        // pool (not on the epoll thread), so request code runs on pool threads as before, minus the hand-offs.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = true);
        var isolation = options.DisableIsolation ? new Isolation(null, CgroupParent.None) : Isolation.Probe();
        if (options.RequireIsolation && (!isolation.HasNamespaces || !isolation.HasCgroups))
        {
            throw new StartupException($"Grid:RequireIsolation is set but this host lacks isolation ({isolation.Describe()}). "
                + "Install bubblewrap and run the node as root or as a systemd service with Delegate=yes on cgroup v2, or unset RequireIsolation.");
        }

        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton<NodeDrain>();
        builder.Services.AddHostedService<NodeLoadReporter>();
        // The drain runs inside the shutdown window; the silo still needs time to leave the cluster after it.
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(EnvironmentCipher.Load(options));
        builder.Services.AddSingleton<MetadataStore>();
        builder.Services.AddSingleton<LayerStore>();
        builder.Services.AddSingleton<ICodeStore>(options.IsClusterMode
            ? new DatabaseCodeStore(database)
            : new FileCodeStore(Path.Combine(options.FullDataDirectory, "code")));
        builder.Services.AddSingleton<AccessKeyStore>();
        builder.Services.AddSingleton<SigV4Verifier>();
        builder.Services.AddSingleton<CodeUrlSigner>();
        builder.Services.AddSingleton<FunctionCache>();
        builder.Services.AddSingleton<FunctionInvoker>();
        builder.Services.AddSingleton<InvocationRunner>();
        builder.Services.AddSingleton<WarmPool>().AddHostedService(sp => sp.GetRequiredService<WarmPool>());
        builder.Services.AddSingleton<ConcurrencyStore>();
        builder.Services.AddSingleton<ConcurrencyLimiter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConcurrencyLimiter>());
        builder.Services.AddSingleton<ProvisionedRegistry>();
        builder.Services.AddHostedService<ProvisionedConcurrencyKeeper>();
        builder.Services.AddSingleton(isolation);
        builder.Services.AddSingleton(sp => new CodeCache(sp.GetRequiredService<ICodeStore>(), Path.Combine(options.FullDataDirectory, "cache", "code")));
        builder.Services.AddSingleton(sp => new LayerCache(sp.GetRequiredService<CodeCache>(), Path.Combine(options.FullDataDirectory, "cache", "opt")));
        builder.Services.AddSingleton<ProcessSpawner>();
        builder.Services.AddSingleton<EnvironmentFactory>();
        builder.Services.AddSingleton<RuntimeApiTransport>();
        builder.Services.AddSingleton<IConnectionListenerFactory>(sp => sp.GetRequiredService<RuntimeApiTransport>());
        builder.Services.AddSingleton<InvocationLogStore>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InvocationLogStore>());
        builder.Services.AddSingleton<GridMetrics>();
        builder.Services.AddSingleton<UsageMeter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UsageMeter>());
        // Durable asynchronous invocation (Async/): the queue, event invoke configs, and this node's dispatcher.
        builder.Services.AddSingleton<Async.AsyncEventQueue>().AddSingleton<Async.EventInvokeConfigStore>().AddHostedService<Async.AsyncDispatcher>();
        // Grid streams (Streams/): the Kinesis API, the record log with its shard writers, and retention.
        builder.Services.AddSingleton<Streams.StreamLog>().AddSingleton<Streams.StreamCatalog>().AddSingleton<Streams.ShardIterators>()
            .AddSingleton<Streams.StreamRetentionService>().AddHostedService(sp => sp.GetRequiredService<Streams.StreamRetentionService>());
        Triggers.Schedules.ScheduleHosting.AddGridSchedules(builder.Services);
        Triggers.Mappings.MappingEndpoints.AddEventSourceMappings(builder.Services);
        builder.AddGridTelemetry(options, options.IsClusterMode ? $"{AdvertisedAddress(options)}:{options.SiloPort}" : $"127.0.0.1:{options.SiloPort}");
        builder.Services.AddRouting();

        builder.UseOrleans(silo =>
        {
            if (options.IsClusterMode)
            {
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = options.PostgresConnectionString;
                });
                silo.ConfigureEndpoints(AdvertisedAddress(options), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
                // Declare a killed node dead in seconds (defaults: 3 missed 5 s probes): its grains come back elsewhere sooner.
                silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(m =>
                {
                    m.ProbeTimeout = TimeSpan.FromSeconds(2);
                    m.NumMissedProbesLimit = 2;
                });
            }
            else
            {
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
            }
            tls.Configure(silo);
            silo.AddGridStreamDelivery(); // event source mappings: "grid-shards" stream provider + ShardConsumerGrain
            Triggers.Schedules.ScheduleHosting.UseGridReminders(silo, options, database);
            if (options.Telemetry.Enabled) silo.AddActivityPropagation();
            if (options.Telemetry.Dashboard) silo.AddDashboard(d => d.CounterUpdateIntervalMs = 2000);
            silo.Configure<Orleans.Configuration.ClusterOptions>(c =>
            {
                c.ClusterId = options.ClusterId;
                c.ServiceId = options.ServiceId;
            });
        });

        var app = builder.Build();
        var store = app.Services.GetRequiredService<MetadataStore>();
        app.Services.GetRequiredService<CodeUrlSigner>().SetKey(
            await store.GetOrAddSettingAsync("code_url_secret", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))));
        var keys = app.Services.GetRequiredService<AccessKeyStore>();
        await keys.LoadAsync();
        if (!options.IsClusterMode)
        {
            await DevelopmentKey.EnsureAsync(keys, options);
        }
        else if (keys.Count == 0)
        {
            app.Logger.LogWarning("No access keys are configured: every API request will be refused. Create one with 'Grid.Server keys create --account <id> --postgres ...'.");
        }

        if (!isolation.HasNamespaces || !isolation.HasCgroups)
        {
            app.Logger.LogWarning("FUNCTIONS ARE NOT FULLY ISOLATED on this host ({Isolation}). Install bubblewrap (apt-get install bubblewrap) "
                + "for namespaces, and run the node as root or as a systemd service with Delegate=yes on cgroup v2 for memory limits.", isolation.Describe());
        }
        else
        {
            app.Logger.LogInformation("Isolation: {Isolation}", isolation.Describe());
            var swept = isolation.Cgroups.SweepOrphans();
            if (swept > 0) app.Logger.LogInformation("Removed {Count} cgroups left by earlier nodes", swept);
        }
        // Stopping: drain first (health fails, new requests get a retryable 503, running ones finish), then end the environments;
        // the hosted services (async dispatcher, silo) stop after this callback returns.
        var factory = app.Services.GetRequiredService<EnvironmentFactory>();
        var drain = app.Services.GetRequiredService<NodeDrain>();
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            drain.Drain(options.DrainTimeout);
            factory.StopAllAsync().GetAwaiter().GetResult();
        });

        // Runtime API connections (per-environment loopback ports) never reach the Lambda API.
        var runtimeApi = app.Services.GetRequiredService<RuntimeApiTransport>();
        app.MapWhen(http => runtimeApi.IsRuntimePort(http.Connection.LocalPort), branch => branch.Run(RuntimeApiHandler.HandleAsync));
        app.UseMiddleware<FrontDoorMiddleware>();
        app.UseRouting();
        app.MapGridTelemetry(options);
        if (options.Telemetry.Dashboard) app.MapOrleansDashboard(DashboardAuth.Prefix).AddEndpointFilter<DashboardAuth>();
        FunctionEndpoints.Map(app);
        VersionEndpoints.Map(app);
        AliasEndpoints.Map(app);
        LayerEndpoints.Map(app);
        InvokeEndpoints.Map(app);
        EventInvokeConfigEndpoints.Map(app);
        LogEndpoints.Map(app);
        TagEndpoints.Map(app);
        AccountEndpoints.Map(app);
        CodeEndpoints.Map(app);
        UsageEndpoints.Map(app);
        NodeEndpoints.Map(app);
        StatsEndpoints.Map(app);
        ConcurrencyEndpoints.Map(app);
        ProvisionedConcurrencyEndpoints.Map(app);
        Streams.KinesisEndpoints.Map(app);
        Triggers.Schedules.ScheduleEndpoints.Map(app);
        Triggers.Mappings.MappingEndpoints.Map(app);
        app.MapGet("/health", () => drain.Draining ? Results.Text("draining", statusCode: StatusCodes.Status503ServiceUnavailable) : Results.Text("ok"));
        app.MapFallback((HttpContext http) => ErrorWriter.WriteAsync(http, Errors.UnknownOperation()));

        app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogInformation(
            "Grid node listening on {Scheme}://{Address}:{Port} ({Mode} mode, data in {Data})",
            tls.Scheme, options.ListenAddress, options.Port, options.IsClusterMode ? "cluster" : "embedded", options.FullDataDirectory));
        try
        {
            await app.RunAsync();
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            throw new StartupException($"Port {options.Port} on {options.ListenAddress} is already in use: stop the other process or pick another port with --port.");
        }
        await database.DisposeAsync();
        return 0;
    }

    private static IPAddress AdvertisedAddress(GridOptions options)
    {
        if (options.AdvertisedAddress is { } configured) return IPAddress.Parse(configured);
        var address = Dns.GetHostAddresses(Dns.GetHostName())
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return address ?? IPAddress.Loopback;
    }
}
