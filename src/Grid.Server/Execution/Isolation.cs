namespace Grid.Server.Execution;

/// <summary>What this host lets Grid use to isolate environments, probed once at start.</summary>
public sealed record Isolation(string? Bubblewrap, CgroupParent Cgroups)
{
    public bool HasNamespaces => Bubblewrap is not null;
    public bool HasCgroups => Cgroups.Version != CgroupVersion.None;

    public static Isolation Probe()
    {
        var bwrap = new[] { "/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap" }.FirstOrDefault(File.Exists);
        if (bwrap is not null && !CanRun(bwrap)) bwrap = null;
        return new Isolation(bwrap, CgroupParent.Probe());
    }

    public string Describe() =>
        $"namespaces: {(HasNamespaces ? "bubblewrap" : "NONE")}, memory/pids limits: {Cgroups.Description}";

    private static bool CanRun(string bwrap)
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(bwrap)
            {
                ArgumentList = { "--ro-bind", "/", "/", "--unshare-pid", "--die-with-parent", "true" },
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            return p.WaitForExit(5000) && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
