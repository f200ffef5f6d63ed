using System.Reflection;
using System.Runtime.Loader;

namespace Grid.Runtime.Dotnet;

/// <summary>
/// The function's own load context: its dependencies resolve from its .deps.json (AssemblyDependencyResolver),
/// while Grid.Functions and the shared framework come from the host, so <c>IFunctionContext</c> and
/// <c>JsonSerializerContext</c> are the same types on both sides even when the package carries its own copies.
/// </summary>
internal sealed class FunctionLoadContext(string mainAssemblyPath) : AssemblyLoadContext("function")
{
    private static readonly HashSet<string> HostAssemblies = SharedWithFunctions();
    private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);
    private readonly string _directory = Path.GetDirectoryName(mainAssemblyPath)!;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is null || HostAssemblies.Contains(assemblyName.Name)) return null; // the host's copy
        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        // A package without a .deps.json still finds its neighbours.
        path ??= Path.Combine(_directory, assemblyName.Name + ".dll") is var local && File.Exists(local) ? local : null;
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

    /// <summary>Grid.Functions plus everything on the host's trusted platform list (the shared framework).</summary>
    private static HashSet<string> SharedWithFunctions()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Grid.Functions" };
        var platform = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (var path in platform.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            names.Add(Path.GetFileNameWithoutExtension(path));
        }
        return names;
    }
}
