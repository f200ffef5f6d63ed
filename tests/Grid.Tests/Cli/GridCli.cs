using System.Diagnostics;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Cli;

/// <summary>
/// Runs the built `grid` CLI (src/Grid.Cli/bin/&lt;configuration&gt;/net10.0/grid.dll) as a real process with its own
/// config file, and with none of the caller's GRID_* variables, so each test sees only what it configured.
/// </summary>
public sealed class GridCli(string configFile)
{
    public static string Dll => Path.Combine(RepoPaths.Root, "src", "Grid.Cli", "bin", RepoPaths.Configuration, "net10.0", "grid.dll");

    public string ConfigFile { get; } = configFile;

    /// <summary>The environment of a `grid` process: the config file, and every GRID_* variable cleared unless given.</summary>
    public Dictionary<string, string?> Environment(IReadOnlyDictionary<string, string?>? extra = null)
    {
        var env = new Dictionary<string, string?>
        {
            ["GRID_CONFIG_FILE"] = ConfigFile,
            ["GRID_PROFILE"] = null,
            ["GRID_ENDPOINT"] = null,
            ["GRID_ACCESS_KEY_ID"] = null,
            ["GRID_SECRET_ACCESS_KEY"] = null,
            ["GRID_DEBUG"] = null,
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) env[k] = v;
        return env;
    }

    /// <summary>Runs `grid args...` to completion. Stdin is closed (empty) unless given, so nothing waits for it.</summary>
    public Task<ProcessResult> RunAsync(params string[] args) => RunAsync(args, stdin: "");

    public Task<ProcessResult> RunAsync(string[] args, string stdin, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync("dotnet", [Dll, .. args], Environment(environment), stdin, timeout ?? TimeSpan.FromMinutes(3));

    /// <summary>Starts `grid args...` without waiting (follow, dev); output is collected as it comes.</summary>
    public RunningCli Start(string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in Environment(environment))
        {
            if (v is null) start.Environment.Remove(k);
            else start.Environment[k] = v;
        }
        return new RunningCli(Process.Start(start) ?? throw new InvalidOperationException("could not start grid"));
    }
}

/// <summary>A `grid` process that keeps running (logs --follow, dev) and what it has printed so far.</summary>
public sealed class RunningCli : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _stdout = new();
    private readonly System.Text.StringBuilder _stderr = new();

    public RunningCli(Process process)
    {
        _process = process;
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => { lock (_stdout) _stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Waits until <paramref name="condition"/> holds on stdout; fails with everything printed if it never does.</summary>
    public async Task WaitForOutputAsync(Func<string, bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition(Stdout))
        {
            if (_process.HasExited && !condition(Stdout)) throw new InvalidOperationException($"grid exited ({_process.ExitCode}) before {what}:\n{Stdout}\n{Stderr}");
            if (watch.Elapsed > timeout) throw new TimeoutException($"no {what} within {timeout.TotalSeconds:0} s:\nstdout: {Stdout}\nstderr: {Stderr}");
            await Task.Delay(100);
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task SignalAsync(string signal) => await ProcessRunner.RunAsync("kill", [$"-{signal}", _process.Id.ToString()]);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
