using System.Collections.Concurrent;
using System.Diagnostics;

namespace Grid.Server.Execution;

/// <summary>
/// Starts runtime processes from one thread that lives as long as the node. bubblewrap's --die-with-parent uses
/// PR_SET_PDEATHSIG, which fires when the *thread* that forked the sandbox exits: started from a thread-pool
/// thread, warm environments were killed whenever the pool retired that thread after a burst of load.
/// </summary>
public sealed class ProcessSpawner : IDisposable
{
    private readonly BlockingCollection<(ProcessStartInfo Start, TaskCompletionSource<Process> Started)> _requests = new();

    public ProcessSpawner() =>
        new Thread(Run) { IsBackground = true, Name = "grid-spawner" }.Start();

    public Task<Process> StartAsync(ProcessStartInfo start)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((start, started));
        return started.Task;
    }

    private void Run()
    {
        foreach (var (start, started) in _requests.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(start) ?? throw new InvalidOperationException("The runtime process did not start."));
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }

    public void Dispose() => _requests.CompleteAdding();
}
