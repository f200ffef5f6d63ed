using System.Globalization;

namespace Grid.Server.Execution;

/// <summary>
/// One environment's memory and pids limits, on cgroup v1 (memory + pids hierarchies) or v2 (unified).
/// The process joins the group itself before exec'ing the runtime, so every descendant is counted and capped.
/// </summary>
public sealed class Cgroup : IDisposable
{
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

    /// <summary>Creates the group <paramref name="name"/> under <paramref name="parent"/>; null when the host refuses.</summary>
    public static Cgroup? Create(CgroupParent parent, string name, int memoryMb)
    {
        var limit = memoryMb * 1024L * 1024L;
        try
        {
            switch (parent.Version)
            {
                case CgroupVersion.V1:
                {
                    var memory = Path.Combine(parent.Directories[0], name);
                    var pids = Path.Combine(parent.Directories[1], name);
                    Directory.CreateDirectory(memory);
                    Directory.CreateDirectory(pids);
                    File.WriteAllText(Path.Combine(memory, "memory.limit_in_bytes"), limit.ToString(CultureInfo.InvariantCulture));
                    CgroupParent.TryWrite(Path.Combine(memory, "memory.memsw.limit_in_bytes"), limit.ToString(CultureInfo.InvariantCulture));
                    File.WriteAllText(Path.Combine(pids, "pids.max"), MaxPids.ToString(CultureInfo.InvariantCulture));
                    return new Cgroup(parent.Version, [memory, pids], limit);
                }
                case CgroupVersion.V2:
                {
                    var dir = Path.Combine(parent.Directories[0], name);
                    Directory.CreateDirectory(dir);
                    File.WriteAllText(Path.Combine(dir, "memory.max"), limit.ToString(CultureInfo.InvariantCulture));
                    CgroupParent.TryWrite(Path.Combine(dir, "memory.swap.max"), "0");
                    File.WriteAllText(Path.Combine(dir, "pids.max"), MaxPids.ToString(CultureInfo.InvariantCulture));
                    return new Cgroup(parent.Version, [dir], limit);
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
        if (_version == CgroupVersion.V1) CgroupParent.TryWrite(Path.Combine(_dirs[0], "memory.max_usage_in_bytes"), "0");
        else CgroupParent.TryWrite(Path.Combine(_dirs[0], "memory.peak"), "0");
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
}
