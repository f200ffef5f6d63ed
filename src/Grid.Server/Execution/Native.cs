using System.Runtime.InteropServices;

namespace Grid.Server.Execution;

/// <summary>The few libc calls .NET does not expose.</summary>
internal static partial class Native
{
    private const int FIONREAD = 0x541B;
    private const int F_SETPIPE_SZ = 1031;
    private const int F_GETPIPE_SZ = 1032;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(IntPtr fd, int request, out int value);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(IntPtr fd, int command, int argument);

    /// <summary>Bytes written to a pipe and not yet read by the other side; -1 if unknown.</summary>
    internal static int PipeUnread(IntPtr fd) => Ioctl(fd, FIONREAD, out var value) == 0 ? value : -1;

    /// <summary>Grows a pipe's buffer (best effort) and returns its capacity; -1 if unknown.</summary>
    internal static int GrowPipe(IntPtr fd, int size)
    {
        Fcntl(fd, F_SETPIPE_SZ, size);
        return Fcntl(fd, F_GETPIPE_SZ, 0);
    }
}
