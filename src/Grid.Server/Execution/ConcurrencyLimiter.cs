using System.Collections.Concurrent;
using Grid.Server.Api;
using Grid.Server.Control;

namespace Grid.Server.Execution;

/// <summary>
/// Admission on this node: an invocation runs only on a concurrency slot the node holds from its account's
/// <see cref="IConcurrencyGrain"/>. Entering a held slot is a lock and two integer compares; the grain is called only
/// to grow a function's slots (doubling), and four times a second the node reports what it holds (renewing its lease)
/// after giving back slots it did not use since the last report, so other nodes can have them. While the grain is
/// unreachable (a node died and membership has not yet declared it dead) admission fails static/open, never closed.
/// </summary>
public sealed class ConcurrencyLimiter(IGrainFactory grains, ILocalSiloDetails silo, Hosting.NodeDrain drain, ILogger<ConcurrencyLimiter> logger)
    : BackgroundService
{
    /// <summary>How often a node reports (and gives back unused slots): short, so slots a burst left on one node soon serve others.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long held slots stay usable without a successful report: a second less than the grain's lease.</summary>
    private static readonly TimeSpan LeaseValidity = ConcurrencyGrain.LeaseDuration - TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(string Account, string Function), Slots> _functions = new();
    // Growing and reporting an account's slots never overlap: a report must not overwrite a grant it did not include.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private string Node => silo.SiloAddress.ToString();

    private sealed class Slots
    {
        public int Held;
        public int InUse;
        public int Peak; // most in use since the last report
        public DateTimeOffset ValidUntil = DateTimeOffset.MaxValue;
    }

    /// <summary>Takes a slot or throws Lambda's 429; dispose the result when the invocation ends.</summary>
    public async ValueTask<Slot> EnterAsync(string account, string function)
    {
        var slots = _functions.GetOrAdd((account, function), _ => new Slots());
        if (TryTake(slots)) return new Slot(slots);
        var gate = _gates.GetOrAdd(account, _ => new SemaphoreSlim(1, 1));
        while (true)
        {
            int granted;
            await gate.WaitAsync();
            try
            {
                if (TryTake(slots)) return new Slot(slots); // another invocation grew the slots meanwhile
                int want;
                lock (slots) want = Math.Clamp(slots.InUse, 1, 64);
                try
                {
                    granted = await grains.GetGrain<IConcurrencyGrain>(account).Acquire(Node, function, want);
                }
                catch (Exception e) when (e is not LambdaException)
                {
                    // The account's grain is unreachable (its node died and the cluster has not noticed yet): availability
                    // wins over exact limits for those seconds. Admit on a borrowed slot; the next report hands it to the grain.
                    logger.LogWarning("Concurrency grain of account {Account} unreachable ({Error}); admitting locally", account, e.GetType().Name);
                    lock (slots)
                    {
                        slots.Held++;
                        slots.ValidUntil = DateTimeOffset.UtcNow + LeaseValidity;
                    }
                    continue;
                }
                if (granted == IConcurrencyGrain.Recovering)
                {
                    // The account's grain has just (re)activated: it grants once every node has reported.
                    await Task.Delay(100);
                    continue;
                }
                lock (slots)
                {
                    slots.Held += granted;
                    if (granted > 0) slots.ValidUntil = DateTimeOffset.UtcNow + LeaseValidity;
                }
            }
            finally
            {
                gate.Release();
            }
            if (TryTake(slots)) return new Slot(slots);
            if (granted == 0)
            {
                var reserved = await grains.GetGrain<IConcurrencyGrain>(account).Reserved(function);
                throw Errors.TooManyRequests(reserved is null ? "ConcurrentInvocationLimitExceeded" : "ReservedFunctionConcurrentInvocationLimitExceeded");
            }
        }
    }

    private static bool TryTake(Slots slots)
    {
        lock (slots)
        {
            if (slots.InUse >= slots.Held || DateTimeOffset.UtcNow > slots.ValidUntil) return false;
            slots.InUse++;
            if (slots.InUse > slots.Peak) slots.Peak = slots.InUse;
            return true;
        }
    }

    /// <summary>A held slot; disposing it frees it for the next invocation on this node.</summary>
    public readonly struct Slot(object slots) : IDisposable
    {
        public void Dispose()
        {
            var s = (Slots)slots;
            lock (s) s.InUse--;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ReportInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (drain.CutOff) return; // the node is going down: its silo stops next, and its slots lapse with its lease
            foreach (var account in _functions.Keys.Select(k => k.Account).Distinct().ToList())
            {
                var gate = _gates.GetOrAdd(account, _ => new SemaphoreSlim(1, 1));
                await gate.WaitAsync(stoppingToken);
                try
                {
                var holdings = new Dictionary<string, int>(StringComparer.Ordinal);
                var reporting = new List<Slots>();
                foreach (var ((a, function), slots) in _functions.Where(f => f.Key.Account == account))
                {
                    lock (slots)
                    {
                        // Keep what was used in the last interval; give the rest back.
                        slots.Held = Math.Max(slots.InUse, Math.Min(slots.Held, slots.Peak));
                        slots.Peak = slots.InUse;
                        if (slots.Held > 0) holdings[function] = slots.Held;
                    }
                    reporting.Add(slots);
                }
                try
                {
                    await grains.GetGrain<IConcurrencyGrain>(account).Report(Node, holdings);
                    var until = DateTimeOffset.UtcNow + LeaseValidity;
                    foreach (var slots in reporting) lock (slots) slots.ValidUntil = until;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The grain is unreachable: keep what this node holds (fail static) rather than refuse every invocation
                    // until the cluster has replaced the grain; its recovery window collects every node's holdings again.
                    logger.LogWarning("Could not report concurrency of account {Account} ({Error}); keeping current slots", account, e.Message);
                    var until = DateTimeOffset.UtcNow + LeaseValidity;
                    foreach (var slots in reporting) lock (slots) slots.ValidUntil = until;
                }
                }
                finally
                {
                    gate.Release();
                }
            }
        }
    }
}
