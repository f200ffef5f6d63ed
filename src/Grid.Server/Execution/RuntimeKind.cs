namespace Grid.Server.Execution;

/// <summary>How a Lambda runtime identifier is started on this node.</summary>
public enum RuntimeFamily { Python, Node, Provided, Dotnet }

public static class RuntimeKind
{
    public static RuntimeFamily Of(string runtime) =>
        runtime.StartsWith("python", StringComparison.Ordinal) ? RuntimeFamily.Python
        : runtime.StartsWith("nodejs", StringComparison.Ordinal) ? RuntimeFamily.Node
        : runtime.StartsWith("dotnet", StringComparison.Ordinal) ? RuntimeFamily.Dotnet
        : RuntimeFamily.Provided;

    /// <summary>The host interpreter for a managed runtime (Debian's, not a per-user shim, so it works inside the sandbox).</summary>
    public static string Interpreter(RuntimeFamily family) => family switch
    {
        RuntimeFamily.Python => FirstExisting("/usr/bin/python3", "/usr/local/bin/python3") ?? "python3",
        RuntimeFamily.Node => FirstExisting("/usr/bin/node", "/usr/local/bin/node") ?? "node",
        RuntimeFamily.Dotnet => DotnetHost,
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    public static string BootstrapFile(RuntimeFamily family) => family switch
    {
        RuntimeFamily.Python => "python/bootstrap.py",
        RuntimeFamily.Dotnet => "dotnet/Grid.Runtime.Dotnet.dll",
        _ => "node/bootstrap.mjs",
    };

    /// <summary>
    /// The .NET install the node itself runs on (every dotnet* runtime runs on it): its root holds the `dotnet` muxer,
    /// three levels above the shared framework directory (root/shared/Microsoft.NETCore.App/version/).
    /// </summary>
    public static string DotnetRoot { get; } = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    private static string DotnetHost => FirstExisting(Path.Combine(DotnetRoot, "dotnet"), "/usr/share/dotnet/dotnet", "/usr/bin/dotnet") ?? "dotnet";

    private static string? FirstExisting(params string[] paths) => paths.FirstOrDefault(File.Exists);
}
