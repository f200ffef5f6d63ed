using Grid.Server.Api;
using Grid.Server.Hosting;
using Grid.Server.Storage;
using Microsoft.Extensions.Options;

namespace Grid.Server.Control;

public sealed class ConcurrencyGrain(ConcurrencyStore store, IOptions<GridOptions> options, TimeProvider time) : Grain, IConcurrencyGrain
{
    /// <summary>A node's slots lapse when it has not reported for this long (it reports every 250 ms).</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(5);

    /// <summary>Every node reports every 250 ms; a fresh activation waits several intervals (margin for a loaded node) before granting.</summary>
    public static readonly TimeSpan RecoveryWindow = TimeSpan.FromSeconds(1.2);

    private Dictionary<string, int> _reserved = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeLease> _nodes = new(StringComparer.Ordinal);
    private DateTimeOffset _grantsFrom;

    private sealed class NodeLease
    {
        public Dictionary<string, int> Holdings { get; set; } = new(StringComparer.Ordinal);
        public DateTimeOffset Until { get; set; }
    }

    private int Limit => options.Value.AccountConcurrencyLimit;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _reserved = await store.ReservedAsync(this.GetPrimaryKeyString(), cancellationToken);
        // After a restart (say the node hosting this grain died) nodes still hold slots this activation has not
        // heard of: grant nothing until every live node has reported once.
        _grantsFrom = time.GetUtcNow() + RecoveryWindow;
    }

    Task<int> IConcurrencyGrain.Acquire(string node, string function, int want)
    {
        var now = time.GetUtcNow();
        if (now < _grantsFrom) return Task.FromResult(IConcurrencyGrain.Recovering);
        Expire(now);
        var lease = Lease(node, now);
        int available;
        if (_reserved.TryGetValue(function, out var reserved))
        {
            available = reserved - Held(f => f == function);
        }
        else
        {
            var unreserved = Limit - _reserved.Values.Sum();
            available = unreserved - Held(f => !_reserved.ContainsKey(f));
        }
        var granted = Math.Clamp(available, 0, want);
        if (granted > 0) lease.Holdings[function] = lease.Holdings.GetValueOrDefault(function) + granted;
        return Task.FromResult(granted);
    }

    Task IConcurrencyGrain.Report(string node, Dictionary<string, int> holdings)
    {
        var now = time.GetUtcNow();
        var lease = Lease(node, now);
        lease.Holdings = new Dictionary<string, int>(holdings.Where(h => h.Value > 0), StringComparer.Ordinal);
        if (lease.Holdings.Count == 0) _nodes.Remove(node);
        Expire(now);
        return Task.CompletedTask;
    }

    async Task<int?> IConcurrencyGrain.SetReserved(string function, int? reserved)
    {
        if (reserved is { } n)
        {
            var others = _reserved.Where(r => r.Key != function).Sum(r => r.Value);
            var minimum = options.Value.MinimumUnreservedConcurrency;
            if (Limit - others - n < minimum)
            {
                throw Errors.InvalidParameter(
                    $"Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{minimum}].");
            }
        }
        await store.SetReservedAsync(this.GetPrimaryKeyString(), function, reserved);
        if (reserved is { } value) _reserved[function] = value;
        else _reserved.Remove(function);
        return reserved;
    }

    Task<(int Limit, int Unreserved)> IConcurrencyGrain.Limits() => Task.FromResult((Limit, Limit - _reserved.Values.Sum()));

    Task<int?> IConcurrencyGrain.Reserved(string function) =>
        Task.FromResult(_reserved.TryGetValue(function, out var n) ? n : (int?)null);

    private NodeLease Lease(string node, DateTimeOffset now)
    {
        if (!_nodes.TryGetValue(node, out var lease)) _nodes[node] = lease = new NodeLease();
        lease.Until = now + LeaseDuration;
        return lease;
    }

    private int Held(Func<string, bool> which) => _nodes.Values.Sum(n => n.Holdings.Where(h => which(h.Key)).Sum(h => h.Value));

    private void Expire(DateTimeOffset now)
    {
        foreach (var node in _nodes.Where(n => n.Value.Until < now).Select(n => n.Key).ToList()) _nodes.Remove(node);
    }
}
