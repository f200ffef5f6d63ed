using System.Runtime.InteropServices;

namespace Grid.Server.Execution;

/// <summary>The few libc calls .NET does not expose.</summary>
internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
