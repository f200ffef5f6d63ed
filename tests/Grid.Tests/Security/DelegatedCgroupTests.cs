using System.Diagnostics;
using System.Runtime.InteropServices;
using Grid.Server.Execution;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Security;

/// <summary>
/// A node running as an unprivileged user (systemd User=grid, Delegate=yes) puts its environments' cgroups inside
/// its own delegated cgroup v2. Delegation is simulated the way systemd does it: a fresh group whose directory,
/// cgroup.procs, cgroup.subtree_control and cgroup.threads belong to `nobody`, and <see cref="CgroupParent.Delegated"/>
/// runs on a thread whose kernel credentials are nobody's (credentials are per thread in the kernel), so every
/// permission check is the real one. The controllers are the ones this host's cgroup v2 offers: memory and pids on
/// a cgroup v2 host; on a hybrid host (memory and pids on v1) whichever v2 has (hugetlb), which is enough to make the
/// kernel enforce "no processes in a group that enables controllers for its children".
/// </summary>
public sealed class DelegatedCgroupTests
{
    private const int Nobody = 65534;

    [Fact]
    public void The_node_cgroup_is_the_v2_line_of_proc_self_cgroup()
    {
        Assert.Equal("/system.slice/grid.service", CgroupParent.OwnCgroup("0::/system.slice/grid.service\n"));
        Assert.Equal("/grid.scope", CgroupParent.OwnCgroup("9:name=systemd:/\n4:memory:/x\n0::/grid.scope\n"));
        Assert.Equal("/", CgroupParent.OwnCgroup("0::/\n"));
        Assert.Null(CgroupParent.OwnCgroup("4:memory:/x\n8:pids:/x\n"));
    }

    [Fact]
    public async Task A_delegated_cgroup_holds_the_node_in_node_and_environments_in_envs()
    {
        using var host = new V2Host();
        using var own = host.CreateGroup(delegatedTo: Nobody);
        var node = await own.StartAsNobodyAsync(own.Directory, "sleep", "120");

        var parent = AsNobody(() => CgroupParent.Delegated(host.Mount, own.Path, host.Controllers));

        Assert.Equal(CgroupVersion.V2, parent.Version);
        Assert.Equal($"cgroup v2 (delegated: {own.Path})", parent.Description);
        Assert.Equal(new[] { Path.Join(own.Directory, "envs") }, parent.Directories);
        Assert.Equal($"{own.Path}/node", CgroupOf(node.Id));
        Assert.Empty(ReadLines(Path.Join(own.Directory, "cgroup.procs")));
        foreach (var dir in new[] { own.Directory, Path.Join(own.Directory, "envs") })
        {
            Assert.Equal(host.Controllers.Order(), ReadWords(Path.Join(dir, "cgroup.subtree_control")).Order());
        }

        // An environment: the node (as nobody) creates its group; its process, started in node, moves itself in as
        // EnvironmentFactory's spawn script does. Allowed because nobody may write the common ancestor's cgroup.procs.
        var environment = Path.Join(parent.Directories[0], "env1");
        AsNobody(() => Directory.CreateDirectory(environment));
        Assert.Equal(host.Controllers.Order(), ReadWords(Path.Join(environment, "cgroup.controllers")).Order());
        var moved = await ProcessRunner.RunAsync("sh", ["-c",
            $"echo $$ > {own.Directory}/node/cgroup.procs && exec setpriv --reuid={Nobody} --regid={Nobody} --clear-groups "
            + $"sh -c 'echo $$ > {environment}/cgroup.procs && grep ^0:: /proc/self/cgroup'"]);
        Assert.True(moved.ExitCode == 0, moved.ToString());
        Assert.Equal($"0::{own.Path}/envs/env1", moved.StandardOutput.Trim());

        // Sweeping at start removes a group left by a killed node, and not one that still has a process.
        AsNobody(() => Directory.CreateDirectory(Path.Join(parent.Directories[0], "orphan")));
        await own.StartAsNobodyAsync(environment, "sleep", "120");
        Assert.Equal(1, AsNobody(parent.SweepOrphans));
        Assert.False(Directory.Exists(Path.Join(parent.Directories[0], "orphan")));
        Assert.True(Directory.Exists(environment));
    }

    [Fact]
    public async Task A_cgroup_not_delegated_to_the_node_user_gives_no_limits_and_says_why()
    {
        using var host = new V2Host();
        using var own = host.CreateGroup(delegatedTo: null);
        var node = await own.StartAsNobodyAsync(own.Directory, "sleep", "120");

        var parent = AsNobody(() => CgroupParent.Delegated(host.Mount, own.Path, host.Controllers));

        Assert.Equal(CgroupVersion.None, parent.Version);
        Assert.Contains($"the node's cgroup {own.Path} is not delegated to its user", parent.Description);
        Assert.Contains("Delegate=yes", parent.Description);
        Assert.Equal(own.Path, CgroupOf(node.Id));
    }

    [Fact]
    public void A_cgroup_without_the_controllers_says_which_are_missing()
    {
        using var host = new V2Host();
        using var own = host.CreateGroup(delegatedTo: Nobody);

        var parent = AsNobody(() => CgroupParent.Delegated(host.Mount, own.Path, ["memory", "pids", "no-such-controller"]));

        Assert.Equal(CgroupVersion.None, parent.Version);
        Assert.Contains($"the node's cgroup {own.Path} does not offer the", parent.Description);
        Assert.Contains("no-such-controller", parent.Description);
    }

    private static string CgroupOf(int pid) =>
        File.ReadAllLines($"/proc/{pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];

    private static List<string> ReadLines(string file) => File.ReadAllLines(file).Where(l => l.Length > 0).ToList();

    private static List<string> ReadWords(string file) => File.ReadAllText(file).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Runs <paramref name="action"/> on a thread that is `nobody` to the kernel (the rest of the process stays root).</summary>
    private static T AsNobody<T>(Func<T> action)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                // Raw syscalls change this thread only (glibc's setresuid would change every thread). With all three
                // uids non-zero the thread also loses its capabilities, for good: it ends right after.
                ThreadCredentials.Drop(Nobody);
                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("The action run as nobody failed", failure);
        return result!;
    }

    private static class ThreadCredentials
    {
        [DllImport("libc", SetLastError = true)]
        private static extern long syscall(long number, long a, long b, long c);

        public static void Drop(int id)
        {
            var (setgroups, setresgid, setresuid) = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => (116L, 119L, 117L),
                Architecture.Arm64 => (159L, 149L, 147L),
                var other => throw new PlatformNotSupportedException($"No syscall numbers for {other}"),
            };
            Check(syscall(setgroups, 0, 0, 0), "setgroups");
            Check(syscall(setresgid, id, id, id), "setresgid");
            Check(syscall(setresuid, id, id, id), "setresuid");
        }

        private static void Check(long result, string call)
        {
            if (result != 0) throw new InvalidOperationException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>This host's cgroup v2 mount, with the controllers the test may enable below its root.</summary>
    private sealed class V2Host : IDisposable
    {
        private readonly bool _enabledAtRoot;

        public string Mount { get; }
        public IReadOnlyList<string> Controllers { get; }

        public V2Host()
        {
            // Field 5 of mountinfo is the mount point; the filesystem type follows the " - " separator.
            Mount = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' '))
                        .FirstOrDefault(f => f[Array.IndexOf(f, "-") + 1] == "cgroup2")?[4]
                    ?? throw new InvalidOperationException("This host has no cgroup v2 mount: the delegation tests need one (kernel 4.5+).");
            var available = ReadWords(Path.Join(Mount, "cgroup.controllers"));
            Controllers = available.Contains("memory") && available.Contains("pids") ? ["memory", "pids"] : available.Take(1).ToList();
            var enabled = ReadWords(Path.Join(Mount, "cgroup.subtree_control"));
            _enabledAtRoot = Controllers.Except(enabled).Any();
            if (_enabledAtRoot) File.WriteAllText(Path.Join(Mount, "cgroup.subtree_control"), string.Join(' ', Controllers.Select(c => "+" + c)));
        }

        public Group CreateGroup(int? delegatedTo) => new(this, delegatedTo);

        public void Dispose()
        {
            if (!_enabledAtRoot) return;
            try
            {
                File.WriteAllText(Path.Join(Mount, "cgroup.subtree_control"), string.Join(' ', Controllers.Select(c => "-" + c)));
            }
            catch (IOException) { } // another test's group still uses it; the last one restores it
        }
    }

    /// <summary>A fresh group at the top of the v2 tree, like the one systemd makes for a unit; removed with everything in it.</summary>
    private sealed class Group : IDisposable
    {
        private readonly List<Process> _processes = [];

        public string Path { get; } = $"/grid-deleg-test-{Guid.NewGuid():N}";
        public string Directory { get; }

        public Group(V2Host host, int? delegatedTo)
        {
            Directory = System.IO.Path.Join(host.Mount, Path);
            System.IO.Directory.CreateDirectory(Directory);
            if (delegatedTo is not { } uid) return;
            var chown = Process.Start("chown", [$"{uid}:{uid}", Directory, .. new[] { "cgroup.procs", "cgroup.subtree_control", "cgroup.threads" }
                .Select(f => System.IO.Path.Join(Directory, f))])!;
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }

        /// <summary>Starts a process as nobody in <paramref name="group"/> (this one or below it); returns once it is there.</summary>
        public async Task<Process> StartAsNobodyAsync(string group, params string[] command)
        {
            var process = Process.Start("sh", ["-c", $"echo $$ > {group}/cgroup.procs && exec setpriv --reuid={Nobody} --regid={Nobody} --clear-groups \"$@\"", "sh", .. command])!;
            _processes.Add(process);
            var id = process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (var i = 0; i < 200 && !process.HasExited && !ReadLines(System.IO.Path.Join(group, "cgroup.procs")).Contains(id); i++)
            {
                await Task.Delay(10);
            }
            Assert.False(process.HasExited, $"the process meant for {group} exited with {(process.HasExited ? process.ExitCode : 0)}");
            return process;
        }

        public void Dispose()
        {
            foreach (var process in _processes)
            {
                try { process.Kill(); process.WaitForExit(); } catch (InvalidOperationException) { }
            }
            // Children first; a group is removable once its processes are gone (the kernel needs a moment after a kill).
            foreach (var dir in System.IO.Directory.EnumerateDirectories(Directory, "*", SearchOption.AllDirectories).Reverse().Append(Directory))
            {
                for (var attempt = 0; attempt < 100; attempt++)
                {
                    try
                    {
                        System.IO.Directory.Delete(dir);
                        break;
                    }
                    catch (IOException) when (attempt < 99)
                    {
                        Thread.Sleep(10);
                    }
                }
            }
        }
    }
}
