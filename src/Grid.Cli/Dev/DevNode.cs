using System.Diagnostics;
using Grid.Cli.Output;
using Spectre.Console;

namespace Grid.Cli.Dev;

/// <summary>
/// A Grid.Server child process in the foreground: its output goes to stderr, it is stopped gracefully (SIGTERM, then
/// killed after 20 s) when `grid dev` is interrupted, and it dies with `grid dev` because it shares the terminal's
/// process group (Ctrl-C reaches both).
/// </summary>
public sealed class DevNode(Process process, Uri endpoint, string dataDirectory) : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public Uri Endpoint { get; } = endpoint;

    public string DataDirectory { get; } = dataDirectory;

    public static DevNode Start(string serverDll, int port, string dataDirectory, bool echoOutput)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { serverDll, "--port", port.ToString(), "--data", dataDirectory }) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new UsageException("Could not start `dotnet`: is the .NET runtime installed and on PATH?");
        DataReceivedEventHandler forward = (_, e) =>
        {
            if (e.Data is not null && echoOutput) Terminal.Error.MarkupLine($"[grey]{Markup.Escape(e.Data)}[/]");
        };
        process.OutputDataReceived += forward;
        process.ErrorDataReceived += forward;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new DevNode(process, new Uri($"http://127.0.0.1:{port}"), dataDirectory);
    }

    /// <summary>Waits for /health; false if the process ended first (it printed why).</summary>
    public async Task<bool> WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited) return false;
            try
            {
                using var response = await Http.GetAsync(new Uri(Endpoint, "/health"), cancellationToken);
                if (response.IsSuccessStatusCode) return true;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested) { }
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException($"The Grid node did not answer {Endpoint}health within {timeout.TotalSeconds:0} s.");
    }

    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    public Task WaitForExitAsync(CancellationToken cancellationToken) => process.WaitForExitAsync(cancellationToken);

    /// <summary>Stops the node the way an operator would (SIGTERM: it finishes running invocations and closes its database).</summary>
    public async Task StopAsync()
    {
        if (process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public void Dispose() => process.Dispose();
}
