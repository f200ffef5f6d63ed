using System.Globalization;

namespace Grid.Server.Execution;

public enum CgroupVersion { None, V1, V2 }

/// <summary>
/// One environment's memory and pids limits, on cgroup v1 (memory + pids hierarchies) or v2 (unified).
/// The process joins the group itself before exec'ing the runtime, so every descendant is counted and capped.
/// </summary>
public sealed class Cgroup : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private const int MaxPids = 1024;
    private readonly CgroupVersion _version;
    private readonly string[] _dirs;

    /// <summary>The files the starting process writes its pid into.</summary>
    public IReadOnlyList<string> ProcsFiles => _dirs.Select(d => Path.Combine(d, "cgroup.procs")).ToList();

    public long LimitBytes { get; }

    private Cgroup(CgroupVersion version, string[] dirs, long limitBytes)
    {
        _version = version;
        _dirs = dirs;
        LimitBytes = limitBytes;
    }

    public static CgroupVersion Detect()
    {
        try
        {
            if (File.Exists(Path.Combine(Root, "cgroup.controllers")))
            {
                return File.ReadAllText(Path.Combine(Root, "cgroup.controllers")).Contains("memory", StringComparison.Ordinal)
                       && Writable(Root) ? CgroupVersion.V2 : CgroupVersion.None;
            }
            return Directory.Exists(Path.Combine(Root, "memory")) && Directory.Exists(Path.Combine(Root, "pids"))
                   && Writable(Path.Combine(Root, "memory")) && Writable(Path.Combine(Root, "pids"))
                ? CgroupVersion.V1 : CgroupVersion.None;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CgroupVersion.None;
        }
    }

    public static Cgroup? Create(CgroupVersion version, string name, int memoryMb)
    {
        var limit = memoryMb * 1024L * 1024L;
        try
        {
            switch (version)
            {
                case CgroupVersion.V1:
                {
                    var memory = Path.Combine(Root, "memory", "grid", name);
                    var pids = Path.Combine(Root, "pids", "grid", name);
                    Directory.CreateDirectory(memory);
                    Directory.CreateDirectory(pids);
                    File.WriteAllText(Path.Combine(memory, "memory.limit_in_bytes"), limit.ToString(CultureInfo.InvariantCulture));
                    TryWrite(Path.Combine(memory, "memory.memsw.limit_in_bytes"), limit.ToString(CultureInfo.InvariantCulture));
                    File.WriteAllText(Path.Combine(pids, "pids.max"), MaxPids.ToString(CultureInfo.InvariantCulture));
                    return new Cgroup(version, [memory, pids], limit);
                }
                case CgroupVersion.V2:
                {
                    var parent = Path.Combine(Root, "grid");
                    Directory.CreateDirectory(parent);
                    TryWrite(Path.Combine(Root, "cgroup.subtree_control"), "+memory +pids");
                    TryWrite(Path.Combine(parent, "cgroup.subtree_control"), "+memory +pids");
                    var dir = Path.Combine(parent, name);
                    Directory.CreateDirectory(dir);
                    File.WriteAllText(Path.Combine(dir, "memory.max"), limit.ToString(CultureInfo.InvariantCulture));
                    TryWrite(Path.Combine(dir, "memory.swap.max"), "0");
                    File.WriteAllText(Path.Combine(dir, "pids.max"), MaxPids.ToString(CultureInfo.InvariantCulture));
                    return new Cgroup(version, [dir], limit);
                }
                default:
                    return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes groups left behind by nodes that were killed. rmdir fails on a group that still has processes, so
    /// the live groups of other nodes on the same host are never touched.
    /// </summary>
    public static int SweepOrphans(CgroupVersion version)
    {
        var parents = version switch
        {
            CgroupVersion.V1 => new[] { Path.Combine(Root, "memory", "grid"), Path.Combine(Root, "pids", "grid") },
            CgroupVersion.V2 => [Path.Combine(Root, "grid")],
            _ => [],
        };
        var removed = 0;
        foreach (var dir in parents.Where(Directory.Exists).SelectMany(Directory.EnumerateDirectories))
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

    /// <summary>Peak memory since the last reset, in bytes.</summary>
    /// <remarks>Read after every invocation (REPORT's Max Memory Used): the file stays open and is re-read with pread.</remarks>
    public long PeakBytes()
    {
        try
        {
            _peakFile ??= File.OpenHandle(Path.Combine(_dirs[0], _version == CgroupVersion.V1 ? "memory.max_usage_in_bytes" : "memory.peak"));
            Span<byte> text = stackalloc byte[32];
            var read = RandomAccess.Read(_peakFile, text, 0);
            return System.Buffers.Text.Utf8Parser.TryParse(text[..read], out long value, out _) ? value : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Kernels before 5.19 have no memory.peak on cgroup v2: current usage is the best we have.
            return _version == CgroupVersion.V2 ? ReadLong(Path.Combine(_dirs[0], "memory.current")) : 0;
        }
    }

    private Microsoft.Win32.SafeHandles.SafeFileHandle? _peakFile;

    public void ResetPeak()
    {
        if (_version == CgroupVersion.V1) TryWrite(Path.Combine(_dirs[0], "memory.max_usage_in_bytes"), "0");
        else TryWrite(Path.Combine(_dirs[0], "memory.peak"), "0");
    }

    /// <summary>True when the kernel killed something in this group for exceeding its memory.</summary>
    public bool OomKilled()
    {
        var file = _version == CgroupVersion.V1 ? Path.Combine(_dirs[0], "memory.oom_control") : Path.Combine(_dirs[0], "memory.events");
        try
        {
            return File.ReadAllLines(file).Any(l => l.StartsWith("oom_kill ", StringComparison.Ordinal) && l[9..].Trim() != "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Kills every process in the group (a fork bomb included) and removes it.</summary>
    public void Dispose()
    {
        _peakFile?.Dispose();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var pids = _dirs.SelectMany(d => ReadPids(Path.Combine(d, "cgroup.procs"))).Distinct().ToList();
            if (pids.Count == 0) break;
            foreach (var pid in pids) Native.Kill(pid, 9);
            Thread.Sleep(10);
        }
        foreach (var dir in _dirs)
        {
            try { Directory.Delete(dir); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static IEnumerable<int> ReadPids(string file)
    {
        try
        {
            return File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static long ReadLong(string file)
    {
        try
        {
            return long.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static void TryWrite(string file, string value)
    {
        try { File.WriteAllText(file, value); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static bool Writable(string dir)
    {
        var probe = Path.Combine(dir, "grid");
        try
        {
            Directory.CreateDirectory(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
