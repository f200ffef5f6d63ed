using System.Diagnostics;

namespace Grid.Server.Hosting;

/// <summary>
/// Graceful stop (SIGTERM, <c>systemctl stop</c>): the node fails its health check so load balancers take it out, answers new
/// API requests with a retryable 503, and waits for the requests already running (invocations up to their timeout) before
/// the silo leaves the cluster. Async events it leased are released by the dispatcher so other nodes take them at once.
/// </summary>
public sealed class NodeDrain(ILogger<NodeDrain> logger)
{
    private int _inFlight;
    private volatile bool _draining;

    public bool Draining => _draining;

    /// <summary>The drain is over and the node ends its environments: a failure from now on is the shutdown's, not the function's.</summary>
    public bool CutOff { get; private set; }

    /// <summary>API requests running now (the front door counts them).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public void Enter() => Interlocked.Increment(ref _inFlight);

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Stops taking requests and waits until none runs, or until <paramref name="limit"/> has passed.</summary>
    public void Drain(TimeSpan limit)
    {
        _draining = true;
        var watch = Stopwatch.StartNew();
        logger.LogInformation("Draining: {Count} request(s) in flight, waiting up to {Limit}", InFlight, limit);
        var lastReport = TimeSpan.Zero;
        while (InFlight > 0 && watch.Elapsed < limit)
        {
            Thread.Sleep(50);
            if (watch.Elapsed - lastReport >= TimeSpan.FromSeconds(10))
            {
                lastReport = watch.Elapsed;
                logger.LogInformation("Draining: {Count} request(s) still running after {Elapsed:0} s", InFlight, watch.Elapsed.TotalSeconds);
            }
        }
        CutOff = true;
        if (InFlight > 0) logger.LogWarning("Drain timeout {Limit} reached with {Count} request(s) still running; they are cut off", limit, InFlight);
        else logger.LogInformation("Drained in {Elapsed:0.0} s", watch.Elapsed.TotalSeconds);
    }
}
