namespace Grid.Server.Control;

/// <summary>
/// An account's concurrency, cluster-wide (key: account id): the account limit, each function's reservation, and the
/// slots every node holds. Nodes admit invocations from slots they hold (no call per invoke); they ask here only to
/// grow, report their holdings every 250 ms (a lease), and a node that stops reporting loses its slots.
/// </summary>
public interface IConcurrencyGrain : IGrainWithStringKey
{
    public const int Recovering = -1;

    /// <summary>
    /// Up to <paramref name="want"/> more slots of <paramref name="function"/> for <paramref name="node"/>; 0 means throttle,
    /// <see cref="Recovering"/> means ask again shortly (the grain has just activated and is learning what nodes hold).
    /// </summary>
    Task<int> Acquire(string node, string function, int want);

    /// <summary>The slots <paramref name="node"/> holds now (replaces what it reported before) and renews its lease.</summary>
    Task Report(string node, Dictionary<string, int> holdings);

    /// <summary>Sets or (null) removes a reservation, keeping 100 unreserved; the new reservation for GetFunctionConcurrency.</summary>
    Task<int?> SetReserved(string function, int? reserved);

    /// <summary>The account limit and its unreserved part.</summary>
    Task<(int Limit, int Unreserved)> Limits();

    Task<int?> Reserved(string function);
}
