using System.Collections.Concurrent;
using Grid.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Grid.Server.Execution;

/// <summary>
/// This node's idle on-demand environments, per executor key, between invocations. A warm invocation rents one here
/// and runs on the calling thread: no grain message, no thread-pool hop (on this 2-core VM each hop cost more than the
/// rest of the node's work for an invocation). When none is idle the invocation goes through the executor grain, whose
/// activations start environments (cold starts, scaling); every on-demand environment comes back here afterwards.
/// Most recently used first, so a light load keeps a few environments hot and the rest idle out.
/// </summary>
public sealed class WarmPool(IOptions<GridOptions> options, ILogger<WarmPool> logger) : BackgroundService
{
    private sealed class Idle
    {
        public readonly List<ExecutionEnvironment> Stack = []; // the top is the last one returned
        public bool Removed; // emptied and taken out of the dictionary: returns go to a new entry
    }

    private readonly ConcurrentDictionary<string, Idle> _idle = new(StringComparer.Ordinal);

    /// <summary>Takes the most recently used idle environment of <paramref name="key"/>, if any is alive.</summary>
    public bool TryRent(string key, out ExecutionEnvironment environment)
    {
        environment = null!;
        if (!_idle.TryGetValue(key, out var idle)) return false;
        while (true)
        {
            ExecutionEnvironment candidate;
            lock (idle)
            {
                if (idle.Stack.Count == 0) return false;
                candidate = idle.Stack[^1];
                idle.Stack.RemoveAt(idle.Stack.Count - 1);
            }
            if (!candidate.HasExited)
            {
                environment = candidate;
                return true;
            }
            _ = candidate.DisposeAsync().AsTask(); // ended while idle (killed from outside): never hand it out
        }
    }

    /// <summary>Puts an environment that finished an invocation back, warm, for the next one.</summary>
    public void Return(string key, ExecutionEnvironment environment)
    {
        environment.LastUsed = Environment.TickCount64;
        while (true)
        {
            var idle = _idle.GetOrAdd(key, _ => new Idle());
            lock (idle)
            {
                if (idle.Removed) continue;
                idle.Stack.Add(environment);
                return;
            }
        }
    }

    /// <summary>Scale to zero: ends environments idle for longer than <see cref="GridOptions.IdleEnvironmentTimeout"/>.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timeout = options.Value.IdleEnvironmentTimeout;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 4, 100, 30_000)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await ReleaseIdleAsync(timeout);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReleaseIdleAsync(TimeSpan timeout)
    {
        var cutoff = Environment.TickCount64 - (long)timeout.TotalMilliseconds;
        var expired = new List<ExecutionEnvironment>();
        foreach (var (key, idle) in _idle)
        {
            lock (idle)
            {
                // Oldest at the bottom: they go first, and nothing above them is older.
                var count = 0;
                while (count < idle.Stack.Count && (idle.Stack[count].LastUsed < cutoff || idle.Stack[count].HasExited)) count++;
                expired.AddRange(idle.Stack.GetRange(0, count));
                idle.Stack.RemoveRange(0, count);
                if (idle.Stack.Count == 0 && _idle.TryRemove(new KeyValuePair<string, Idle>(key, idle))) idle.Removed = true;
            }
        }
        foreach (var environment in expired)
        {
            logger.LogDebug("Releasing idle environment {Id}", environment.Id);
            await environment.DisposeAsync();
        }
    }
}
