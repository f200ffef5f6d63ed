using System.Diagnostics;
using System.Text;

namespace Grid.Tests.Infrastructure;

/// <summary>
/// One real Grid.Server process on free ports with its own data directory. Started the way an operator starts it
/// (flags and Grid__* environment variables); stopped with SIGTERM, then killed if it does not stop.
/// </summary>
public sealed class GridNode : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    // Readiness only: an HTTPS node's test certificate is checked by the tests' real clients, not by this probe.
    private static readonly HttpClient HttpsProbe = new(new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
    }) { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GridNode(Process process, string dataDirectory, int port, int siloPort, string scheme)
    {
        _process = process;
        Scheme = scheme;
        DataDirectory = dataDirectory;
        Port = port;
        SiloPort = siloPort;
    }

    public string DataDirectory { get; }
    public int Port { get; }
    public int SiloPort { get; }
    public int ProcessId => _process.Id;
    public string Scheme { get; }
    public string Endpoint => $"{Scheme}://127.0.0.1:{Port}";
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the node printed so far (for assertions and failure messages).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>The arguments to run Grid.Server with: <c>dotnet Grid.Server.dll ...</c>.</summary>
    public static string[] ServerCommand(params string[] args) => [RepoPaths.ServerDll, .. args];

    /// <summary>Runs Grid.Server to completion: one-shot verbs (migrate, keys create) or a start that must fail.</summary>
    public static Task<ProcessResult> RunCommandAsync(params string[] args) => RunCommandAsync(null, args);

    public static Task<ProcessResult> RunCommandAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        ProcessRunner.RunAsync("dotnet", ServerCommand(args), environment, timeout: TimeSpan.FromMinutes(2));

    public static async Task<GridNode> StartAsync(
        string dataDirectory,
        string? postgres = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? serverDll = null,
        string scheme = "http")
    {
        var port = FreePort.Next();
        var siloPort = FreePort.Next();
        var gatewayPort = FreePort.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] flags = ["--port", port.ToString(), "--data", dataDirectory, "--silo-port", siloPort.ToString(), "--gateway-port", gatewayPort.ToString()];
        foreach (var a in serverDll is null ? ServerCommand(flags) : [serverDll, .. flags])
        {
            start.ArgumentList.Add(a);
        }
        if (postgres is not null)
        {
            start.ArgumentList.Add("--postgres");
            start.ArgumentList.Add(postgres);
            start.ArgumentList.Add("--advertise");
            start.ArgumentList.Add("127.0.0.1");
        }
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start Grid.Server");
        var node = new GridNode(process, dataDirectory, port, siloPort, scheme);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await node.WaitUntilReadyAsync();
        return node;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Length > 1_000_000) _output.Remove(0, 500_000);
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException($"Grid.Server exited with {_process.ExitCode} during start:\n{Output}");
            }
            try
            {
                using var response = await (Scheme == "https" ? HttpsProbe : Http).GetAsync(Endpoint + "/health");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Grid.Server did not answer /health within 90 s:\n{Output}");
    }

    /// <summary>Processes started by this node (its sandboxes and functions), found through /proc.</summary>
    public IReadOnlyList<int> DescendantProcesses()
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(fields[1]);
                if (!parents.TryGetValue(ppid, out var children)) parents[ppid] = children = [];
                children.Add(pid);
            }
            catch (IOException) { }
        }
        var result = new List<int>();
        var queue = new Queue<int>([ProcessId]);
        while (queue.TryDequeue(out var pid))
        {
            foreach (var child in parents.GetValueOrDefault(pid) ?? [])
            {
                result.Add(child);
                queue.Enqueue(child);
            }
        }
        return result;
    }

    /// <summary>Stops the node the way an operator would (SIGTERM) and waits for it.</summary>
    public async Task StopAsync(bool kill = false)
    {
        if (_process.HasExited) return;
        if (kill)
        {
            _process.Kill(entireProcessTree: true);
        }
        else
        {
            await ProcessRunner.RunAsync("kill", ["-TERM", ProcessId.ToString()]);
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
