using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.RateLimiting;
using Grid.Server.Execution.RuntimeApi;
using Grid.Server.Hosting;
using Grid.Server.Storage;
using Microsoft.Extensions.Options;

namespace Grid.Server.Execution;

/// <summary>
/// Starts execution environments: unpacked code, Lambda's environment variables, a bubblewrap sandbox
/// (read-only /var/task, private sized /tmp, own pid namespace) and a cgroup for memory and pids, where the host
/// has them. Tracks every live environment so none outlives the node.
/// </summary>
public sealed class EnvironmentFactory(
    IOptions<GridOptions> options, Isolation isolation, CodeCache code, LayerCache layers, RuntimeApiTransport runtimeApi, ProcessSpawner spawner,
    ILogger<EnvironmentFactory> logger)
{
    public static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(10);
    private static readonly string RuntimesDirectory = Path.Combine(AppContext.BaseDirectory, "Execution", "Runtimes");
    private readonly ConcurrentDictionary<string, ExecutionEnvironment> _live = new();
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _scaling = new(StringComparer.Ordinal);

    public int LiveCount => _live.Count;

    /// <summary>Every environment of this node (for the environments gauge).</summary>
    public ICollection<ExecutionEnvironment> Live => _live.Values;

    /// <summary>Starts an environment and waits for its runtime to finish init; the reply says how init went.</summary>
    public async Task<(ExecutionEnvironment Environment, RuntimeReply Init)> StartAsync(FunctionRecord function, string initializationType = "on-demand")
    {
        var config = function.Config;
        // Scaling rate: a burst may start at most ScalingRatePer10Seconds new environments of a function per 10 s here.
        using var lease = Scaling(function.Key).AttemptAcquire();
        if (!lease.IsAcquired) throw Api.Errors.TooManyRequests("ConcurrentInvocationLimitExceeded");
        var codeDir = await code.GetDirectoryAsync(function.CodeSha256Hex);
        var optDir = await layers.GetOptDirectoryAsync(function.LayerSha256Hex);
        var id = Guid.NewGuid().ToString("N");
        var scratch = Path.Combine(options.Value.FullDataDirectory, "sandboxes", id);
        Directory.CreateDirectory(Path.Combine(scratch, "tmp"));
        var family = RuntimeKind.Of(config.Runtime ?? "provided");
        var sandboxed = isolation.HasNamespaces;
        var taskRoot = sandboxed ? "/var/task" : codeDir;
        var runtimeRoot = sandboxed ? "/var/runtime" : RuntimesDirectory;
        // Unsandboxed there is no private /opt: the search paths point at the merged layers instead.
        var optRoot = sandboxed ? "/opt" : optDir ?? "/opt";

        HttpRuntimeChannel? http = null;
        if (family == RuntimeFamily.Provided)
        {
            if (!File.Exists(Path.Combine(codeDir, "bootstrap")) && (optDir is null || !File.Exists(Path.Combine(optDir, "bootstrap"))))
            {
                Directory.Delete(scratch, recursive: true);
                throw new InitFailureException("Runtime.InvalidEntrypoint", "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]");
            }
            http = new HttpRuntimeChannel();
            http.Listener = runtimeApi.Open(http);
        }

        var cgroup = isolation.HasCgroups ? Cgroup.Create(isolation.Cgroups, id, config.MemorySize) : null;
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = sandboxed ? "/" : codeDir,
        };
        // Join the cgroup, then exec the sandbox with the fd layout the runtime expects (frames on 3/4, logs on 1/2).
        var nice = options.Value.FunctionNiceness > 0 ? $"nice -n {options.Value.FunctionNiceness} " : "";
        var script = "while [ \"$1\" != \"--\" ]; do echo $$ > \"$1\" 2>/dev/null; shift; done; shift; exec " + nice + "\"$@\""
                     + (http is null ? " 3<&0 4>&1 0</dev/null 1>&2" : " 0</dev/null 1>&2");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("sh");
        foreach (var procs in cgroup?.ProcsFiles ?? []) start.ArgumentList.Add(procs);
        start.ArgumentList.Add("--");
        if (sandboxed) AddSandbox(start.ArgumentList, codeDir, optDir, config.EphemeralStorage.Size, family);
        foreach (var arg in RuntimeCommand(family, taskRoot, runtimeRoot, optRoot, File.Exists(Path.Combine(codeDir, "bootstrap")))) start.ArgumentList.Add(arg);

        start.Environment.Clear();
        foreach (var (k, v) in LambdaEnvironment(function, family, taskRoot, runtimeRoot, optRoot, initializationType, http?.Listener?.Address,
                     sandboxed ? "/tmp" : Path.Combine(scratch, "tmp"), id))
        {
            start.Environment[k] = v;
        }

        var started = Stopwatch.GetTimestamp();
        Process process;
        try
        {
            process = await spawner.StartAsync(start);
        }
        catch
        {
            cgroup?.Dispose();
            http?.Listener?.Dispose();
            throw;
        }
        var logs = new LogPump(process.StandardError.BaseStream);
        IRuntimeChannel channel = http ?? (IRuntimeChannel)new FrameChannel(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, logs);
        if (http is not null) process.StandardInput.Close();
        var environment = new ExecutionEnvironment(id, function, process, channel, logs, cgroup, scratch, e => _live.TryRemove(e.Id, out _));
        _live[id] = environment;
        _ = process.WaitForExitAsync().ContinueWith(_ => channel.OnExited(), TaskScheduler.Default);

        RuntimeReply init;
        try
        {
            init = await channel.WaitReadyAsync(new CancellationTokenSource(InitTimeout).Token);
        }
        catch (OperationCanceledException)
        {
            init = new RuntimeReply(ReplyKind.InitError, System.Text.Encoding.UTF8.GetBytes(
                $"{{\"errorType\":\"Runtime.InitTimeout\",\"errorMessage\":\"Init did not complete within {InitTimeout.TotalSeconds:0} seconds\"}}"), "Runtime.InitTimeout");
        }
        environment.InitDurationMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        environment.Initialized = true;
        return (environment, init);
    }

    private TokenBucketRateLimiter Scaling(string function) => _scaling.GetOrAdd(function, _ =>
    {
        // Refill evenly: `rate` tokens per 10 s, in steps of at least 100 ms.
        var rate = options.Value.ScalingRatePer10Seconds;
        var period = TimeSpan.FromMilliseconds(Math.Max(10_000.0 / rate, 100));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = rate, TokensPerPeriod = Math.Max(1, (int)Math.Round(rate * period.TotalSeconds / 10)), ReplenishmentPeriod = period,
            QueueLimit = 0, AutoReplenishment = true,
        });
    });

    /// <summary>Ends every environment (node shutdown).</summary>
    public async Task StopAllAsync()
    {
        foreach (var environment in _live.Values) await environment.DisposeAsync();
    }

    private static IEnumerable<string> RuntimeCommand(RuntimeFamily family, string taskRoot, string runtimeRoot, string optRoot, bool packageHasBootstrap)
    {
        if (family == RuntimeFamily.Provided)
        {
            // Lambda looks for the package's bootstrap in /var/task, then in /opt (a layer's).
            yield return Path.Combine(packageHasBootstrap ? taskRoot : optRoot, "bootstrap");
            yield break;
        }
        yield return RuntimeKind.Interpreter(family);
        yield return Path.Combine(runtimeRoot, RuntimeKind.BootstrapFile(family));
    }

    private void AddSandbox(IList<string> args, string codeDir, string? optDir, int tmpMb, RuntimeFamily family)
    {
        args.Add(isolation.Bubblewrap!);
        foreach (var a in new[] { "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--new-session", "--cap-drop", "ALL" })
        {
            args.Add(a);
        }
        Bind(args, "/usr", "/usr");
        foreach (var dir in new[] { "/bin", "/sbin", "/lib", "/lib32", "/lib64" })
        {
            var info = new DirectoryInfo(dir);
            if (info.LinkTarget is { } target) { args.Add("--symlink"); args.Add(target); args.Add(dir); }
            else if (info.Exists) Bind(args, dir, dir);
        }
        Bind(args, "/etc", "/etc");
        // dotnet* functions run on the node's own .NET; outside /usr (e.g. ~/.dotnet) it is bound where it is.
        if (family == RuntimeFamily.Dotnet && !RuntimeKind.DotnetRoot.StartsWith("/usr/", StringComparison.Ordinal)) Bind(args, RuntimeKind.DotnetRoot, RuntimeKind.DotnetRoot);
        foreach (var secret in new[] { "/etc/shadow", "/etc/gshadow" }.Where(File.Exists))
        {
            Bind(args, "/dev/null", secret);
        }
        // The node's own settings and keys (deploy/install.sh puts them in /etc/grid) are not the functions' business.
        if (Directory.Exists("/etc/grid")) { args.Add("--tmpfs"); args.Add("/etc/grid"); }
        args.Add("--proc"); args.Add("/proc");
        args.Add("--dev"); args.Add("/dev");
        args.Add("--size"); args.Add((tmpMb * 1024L * 1024L).ToString(CultureInfo.InvariantCulture));
        args.Add("--perms"); args.Add("1777");
        args.Add("--tmpfs"); args.Add("/tmp");
        Bind(args, codeDir, "/var/task");
        Bind(args, RuntimesDirectory, "/var/runtime");
        if (optDir is not null) Bind(args, optDir, "/opt");
        else { args.Add("--dir"); args.Add("/opt"); }
        args.Add("--chdir"); args.Add("/var/task");
        args.Add("--");
        logger.LogDebug("Sandbox for {Code}", codeDir);
    }

    private static void Bind(IList<string> args, string source, string target)
    {
        args.Add("--ro-bind");
        args.Add(source);
        args.Add(target);
    }

    /// <summary>
    /// .NET settings a function may override with its own variables. The sandbox hides the cgroup from the runtime, so
    /// the GC is told the limit itself (75 % of MemorySize, .NET's own share in a container): it collects before the
    /// cgroup would kill the process, and a heap beyond it is an OutOfMemoryException the host reports.
    /// </summary>
    private static void AddDotnetDefaults(Dictionary<string, string> env, int memoryMb)
    {
        env["DOTNET_GCHeapHardLimit"] = (memoryMb * 1024L * 1024L * 3 / 4).ToString("X", CultureInfo.InvariantCulture);
        env["DOTNET_gcServer"] = "0";
        env["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1";
        env["DOTNET_EnableDiagnostics"] = "0";
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        env["DOTNET_NOLOGO"] = "1";
    }

    private Dictionary<string, string> LambdaEnvironment(FunctionRecord function, RuntimeFamily family, string taskRoot, string runtimeRoot,
        string optRoot, string initializationType, string? runtimeApi, string tmp, string id)
    {
        var c = function.Config;
        var region = options.Value.Region;
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = $"/usr/local/bin:/usr/bin/:/bin:{optRoot}/bin",
            ["LD_LIBRARY_PATH"] = $"/lib64:/usr/lib64:{runtimeRoot}:{runtimeRoot}/lib:{taskRoot}:{taskRoot}/lib:{optRoot}/lib",
            ["LANG"] = "en_US.UTF-8",
        };
        if (family == RuntimeFamily.Node) env["NODE_PATH"] = $"{optRoot}/nodejs/node_modules:{taskRoot}/node_modules:{taskRoot}";
        if (family == RuntimeFamily.Python && optRoot != "/opt") env["PYTHONPATH"] = $"{optRoot}/python";
        if (family == RuntimeFamily.Dotnet) AddDotnetDefaults(env, c.MemorySize);
        if (c.Environment?.Variables is { } user)
        {
            foreach (var (k, v) in user) env[k] = v;
        }
        // Reserved variables last: users cannot override them.
        env["AWS_REGION"] = region;
        env["AWS_DEFAULT_REGION"] = region;
        if (family != RuntimeFamily.Provided) env["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + c.Runtime;
        env["AWS_LAMBDA_FUNCTION_NAME"] = c.FunctionName;
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = c.MemorySize.ToString(CultureInfo.InvariantCulture);
        env["AWS_LAMBDA_FUNCTION_VERSION"] = c.Version;
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = initializationType;
        env["AWS_LAMBDA_LOG_GROUP_NAME"] = c.LoggingConfig?.LogGroup ?? $"/aws/lambda/{c.FunctionName}";
        env["AWS_LAMBDA_LOG_STREAM_NAME"] = $"{DateTime.UtcNow:yyyy/MM/dd}/[{c.Version}]{id}";
        env["LAMBDA_TASK_ROOT"] = taskRoot;
        env["LAMBDA_RUNTIME_DIR"] = runtimeRoot;
        env["_HANDLER"] = c.Handler ?? "";
        env["TZ"] = ":UTC";
        env["TMPDIR"] = tmp;
        if (runtimeApi is not null) env["AWS_LAMBDA_RUNTIME_API"] = runtimeApi;
        return env;
    }
}
