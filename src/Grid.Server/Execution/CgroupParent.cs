namespace Grid.Server.Execution;

/// <summary>
/// Where this node creates its environments' cgroups, chosen once at start:
/// <list type="bullet">
/// <item>a group at the top of the tree that only root may create (<c>/sys/fs/cgroup/grid</c> on v2,
/// <c>memory/grid</c> and <c>pids/grid</c> on v1): a node running as root;</item>
/// <item>on v2, the node's own cgroup when it was delegated to the node's user (systemd <c>Delegate=yes</c>): the node
/// moves itself into <c>&lt;own&gt;/node</c>, because a cgroup that enables controllers for its children may hold no
/// processes, and creates environments under <c>&lt;own&gt;/envs</c>. An environment's process moves itself there
/// from <c>&lt;own&gt;/node</c>; the kernel allows that because the node may write <c>&lt;own&gt;/cgroup.procs</c>,
/// the common ancestor's.</item>
/// </list>
/// </summary>
public sealed class CgroupParent
{
    public const string Mount = "/sys/fs/cgroup";
    public const string NodeGroup = "node";
    public const string EnvironmentsGroup = "envs";
    private static readonly string[] Limits = ["memory", "pids"];

    /// <summary>No cgroups: isolation was turned off, so nothing was probed.</summary>
    public static readonly CgroupParent None = new(CgroupVersion.None, [], "NONE");

    public CgroupVersion Version { get; }

    /// <summary>The directories environments' groups are created in: one on v2; memory and pids on v1.</summary>
    public IReadOnlyList<string> Directories { get; }

    /// <summary>For the start log: which parent is used, or why there is none.</summary>
    public string Description { get; }

    private CgroupParent(CgroupVersion version, IReadOnlyList<string> directories, string description)
    {
        Version = version;
        Directories = directories;
        Description = description;
    }

    private static CgroupParent Unavailable(string reason) => new(CgroupVersion.None, [], $"NONE ({reason})");

    /// <summary>Finds (and prepares) the parent this host allows; side effect on delegated v2: the node moves into &lt;own&gt;/node.</summary>
    public static CgroupParent Probe()
    {
        try
        {
            if (File.Exists(Path.Combine(Mount, "cgroup.controllers")))
            {
                if (RootOwnedV2() is { } rootOwned) return rootOwned;
                var own = OwnCgroup(File.ReadAllText("/proc/self/cgroup"));
                return own is null
                    ? Unavailable($"cgroup v2: {Mount}/grid is not writable and /proc/self/cgroup names no cgroup v2 group")
                    : Delegated(Mount, own, Limits);
            }
            return RootOwnedV1() ?? Unavailable(Directory.Exists(Path.Combine(Mount, "memory"))
                ? $"cgroup v1: {Mount}/memory and {Mount}/pids are writable only by root; run the node as root, or on a cgroup v2 host "
                  + "as a systemd service with Delegate=yes"
                : $"no cgroup v2 with the memory controller, nor cgroup v1 memory and pids hierarchies, under {Mount}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Unavailable(e.Message);
        }
    }

    /// <summary>The node's cgroup v2 path ("/system.slice/grid.service") from the text of /proc/self/cgroup; null without v2.</summary>
    public static string? OwnCgroup(string procSelfCgroup) =>
        procSelfCgroup.Split('\n').FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..].Trim() is { Length: > 0 } path
            ? path
            : null;

    /// <summary>
    /// Sets up environments under the node's own, delegated, v2 cgroup <paramref name="own"/> (relative to
    /// <paramref name="mount"/>): moves every process in it into <c>node</c>, then enables <paramref name="controllers"/>
    /// for its children and for <c>envs</c>'. Returns a parent with a reason when the cgroup is not delegated.
    /// </summary>
    public static CgroupParent Delegated(string mount, string own, IReadOnlyList<string> controllers)
    {
        var dir = Path.Join(mount, own);
        var available = Words(Path.Combine(dir, "cgroup.controllers"));
        var missing = controllers.Except(available).ToList();
        if (missing.Count > 0)
        {
            return Unavailable($"the node's cgroup {own} does not offer the {string.Join(" and ", missing)} controller(s) "
                               + $"(it has: {(available.Count == 0 ? "none" : string.Join(' ', available))}); with systemd, Delegate=yes offers them all");
        }
        try
        {
            var node = Path.Combine(dir, NodeGroup);
            var environments = Path.Combine(dir, EnvironmentsGroup);
            Directory.CreateDirectory(node);
            Directory.CreateDirectory(environments);
            EnableForChildren(dir, node, controllers);
            EnableForChildren(environments, null, controllers);
            return new CgroupParent(CgroupVersion.V2, [environments], $"cgroup v2 (delegated: {own})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Unavailable($"cgroup v2: {mount}/grid is writable only by root and the node's cgroup {own} is not delegated to its user "
                               + $"({e.Message}); run the node as a systemd service with Delegate=yes (deploy/grid.service), or as root");
        }
    }

    /// <summary>Removes groups left behind by nodes that were killed; rmdir fails on a group that still has processes.</summary>
    public int SweepOrphans()
    {
        var removed = 0;
        foreach (var dir in Directories.Where(Directory.Exists).SelectMany(Directory.EnumerateDirectories))
        {
            try
            {
                Directory.Delete(dir);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    private static CgroupParent? RootOwnedV2()
    {
        if (!Limits.All(Words(Path.Combine(Mount, "cgroup.controllers")).Contains)) return null;
        var parent = Path.Combine(Mount, "grid");
        if (!CanCreateGroupIn(parent)) return null;
        TryWrite(Path.Combine(Mount, "cgroup.subtree_control"), Enable(Limits));
        TryWrite(Path.Combine(parent, "cgroup.subtree_control"), Enable(Limits));
        // In a container's cgroup namespace the top may hold processes, and then cannot enable controllers for grid.
        return Limits.All(Words(Path.Combine(parent, "cgroup.subtree_control")).Contains)
            ? new CgroupParent(CgroupVersion.V2, [parent], $"cgroup v2 ({parent})")
            : null;
    }

    private static CgroupParent? RootOwnedV1()
    {
        var memory = Path.Combine(Mount, "memory");
        var pids = Path.Combine(Mount, "pids");
        return Directory.Exists(memory) && Directory.Exists(pids)
               && CanCreateGroupIn(Path.Combine(memory, "grid")) && CanCreateGroupIn(Path.Combine(pids, "grid"))
            ? new CgroupParent(CgroupVersion.V1, [Path.Combine(memory, "grid"), Path.Combine(pids, "grid")],
                $"cgroup v1 ({Path.Combine(memory, "grid")}, {Path.Combine(pids, "grid")})")
            : null;
    }

    /// <summary>
    /// Enables controllers for <paramref name="dir"/>'s children. A cgroup that does so may hold no processes, so
    /// every process in it first moves to <paramref name="processesTo"/>; a process forked meanwhile makes the
    /// kernel refuse (EBUSY), and the move is repeated.
    /// </summary>
    private static void EnableForChildren(string dir, string? processesTo, IReadOnlyList<string> controllers)
    {
        if (controllers.Count == 0) return;
        for (var attempt = 1; ; attempt++)
        {
            if (processesTo is not null)
            {
                foreach (var pid in File.ReadAllLines(Path.Combine(dir, "cgroup.procs")).Where(l => l.Length > 0))
                {
                    try
                    {
                        File.WriteAllText(Path.Combine(processesTo, "cgroup.procs"), pid);
                    }
                    catch (IOException) when (!Directory.Exists($"/proc/{pid}")) { } // it exited meanwhile
                }
            }
            try
            {
                File.WriteAllText(Path.Combine(dir, "cgroup.subtree_control"), Enable(controllers));
                return;
            }
            catch (IOException) when (attempt < 5 && processesTo is not null) { }
        }
    }

    /// <summary>Creates <paramref name="group"/> and proves groups can be created in it (it may exist, made by root).</summary>
    private static bool CanCreateGroupIn(string group)
    {
        var probe = Path.Combine(group, $"probe-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(group);
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Enable(IEnumerable<string> controllers) => string.Join(' ', controllers.Select(c => "+" + c));

    private static List<string> Words(string file)
    {
        try
        {
            return File.ReadAllText(file).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Writes a cgroup file whose absence or refusal is acceptable (an optional knob).</summary>
    internal static void TryWrite(string file, string value)
    {
        try { File.WriteAllText(file, value); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
