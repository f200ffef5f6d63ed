namespace Grid.Server.Execution;

/// <summary>How a Lambda runtime identifier is started on this node.</summary>
public enum RuntimeFamily { Python, Node, Provided }

public static class RuntimeKind
{
    public static RuntimeFamily Of(string runtime) =>
        runtime.StartsWith("python", StringComparison.Ordinal) ? RuntimeFamily.Python
        : runtime.StartsWith("nodejs", StringComparison.Ordinal) ? RuntimeFamily.Node
        : RuntimeFamily.Provided;

    /// <summary>The host interpreter for a managed runtime (Debian's, not a per-user shim, so it works inside the sandbox).</summary>
    public static string Interpreter(RuntimeFamily family) => family switch
    {
        RuntimeFamily.Python => FirstExisting("/usr/bin/python3", "/usr/local/bin/python3") ?? "python3",
        RuntimeFamily.Node => FirstExisting("/usr/bin/node", "/usr/local/bin/node") ?? "node",
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    public static string BootstrapFile(RuntimeFamily family) => family == RuntimeFamily.Python ? "python/bootstrap.py" : "node/bootstrap.mjs";

    private static string? FirstExisting(params string[] paths) => paths.FirstOrDefault(File.Exists);
}
