namespace Grid.Server.Triggers.Schedules;

/// <summary>
/// At node start, syncs the grain of every enabled schedule, so a schedule whose reminder is missing (lost, or never written
/// because a node died mid-create) is armed again, and an occurrence missed while the cluster was down is caught up.
/// </summary>
public sealed class ScheduleReconciler(ScheduleStore store, IGrainFactory grains, IHostApplicationLifetime lifetime, ILogger<ScheduleReconciler> logger)
    : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Grain calls need the silo, which starts with the host: wait for the whole application to be up.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try { await started.Task; }
            catch (OperationCanceledException) { return; }
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var schedules = await store.ListEnabledAsync(stoppingToken);
                var failed = 0;
                await Parallel.ForEachAsync(schedules, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = stoppingToken }, async (s, _) =>
                {
                    try { await grains.GetGrain<IScheduleGrain>(s.GrainKey).Sync(); }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Interlocked.Increment(ref failed);
                        logger.LogWarning(e, "Could not arm schedule {Schedule}; retrying in {Delay}", s.GrainKey, RetryDelay);
                    }
                });
                if (failed == 0)
                {
                    if (schedules.Count > 0) logger.LogInformation("Armed {Count} schedules", schedules.Count);
                    return;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not list schedules to arm them; retrying in {Delay}", RetryDelay);
            }
            try { await Task.Delay(RetryDelay, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
