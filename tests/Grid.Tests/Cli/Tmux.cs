using System.Diagnostics;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Cli;

/// <summary>
/// A command running in a real terminal: a detached tmux session (160x40) on a private tmux server, so the test
/// neither sees nor disturbs anyone else's sessions. The screen is read with capture-pane, keys sent with send-keys.
/// </summary>
public sealed class Tmux : IAsyncDisposable
{
    private readonly string _socket = "grid-test-" + Guid.NewGuid().ToString("N")[..10];
    private const string Session = "cli";

    private Tmux()
    {
    }

    public static async Task<Tmux> StartAsync(string command)
    {
        var tmux = new Tmux();
        var started = await tmux.RunAsync("new-session", "-d", "-s", Session, "-x", "160", "-y", "40", command);
        if (started.ExitCode != 0) throw new InvalidOperationException(started.ToString());
        return tmux;
    }

    /// <summary>`env -u UNSET K=V ...` for a shell command line (tmux runs it with its own server's environment otherwise).</summary>
    public static string Env(IReadOnlyDictionary<string, string?> variables) =>
        "env " + string.Join(' ', variables.Where(v => v.Value is null).Select(v => $"-u {v.Key}")
                                    .Concat(variables.Where(v => v.Value is not null).Select(v => $"{v.Key}='{v.Value}'")));

    public async Task<string> CaptureAsync()
    {
        var result = await RunAsync("capture-pane", "-p", "-t", Session);
        return result.ExitCode == 0 ? result.StandardOutput : "";
    }

    public async Task WaitForScreenAsync(Func<string, bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        var screen = "";
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            screen = await CaptureAsync();
            if (condition(screen)) return;
            if (!await IsRunningAsync()) throw new InvalidOperationException($"the terminal's command ended before {what}; last screen:\n{screen}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"no {what} on screen within 30 s; last screen:\n{screen}");
    }

    public Task SendKeysAsync(string keys) => RunAsync("send-keys", "-t", Session, keys);

    public async Task<bool> IsRunningAsync() => (await RunAsync("has-session", "-t", Session)).ExitCode == 0;

    /// <summary>Waits for the command (and so the session) to end.</summary>
    public async Task WaitForEndAsync()
    {
        var watch = Stopwatch.StartNew();
        while (await IsRunningAsync())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(15)) throw new TimeoutException($"the session is still running 15 s later:\n{await CaptureAsync()}");
            await Task.Delay(100);
        }
    }

    private Task<ProcessResult> RunAsync(params string[] args) => ProcessRunner.RunAsync("tmux", ["-L", _socket, .. args], timeout: TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync() => await RunAsync("kill-server");
}
