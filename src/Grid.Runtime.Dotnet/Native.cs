using System.Runtime.InteropServices;

namespace Grid.Runtime.Dotnet;

internal static partial class Native
{
    private const int F_SETFD = 2, FD_CLOEXEC = 1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    public static void CloseOnExec(int fd) => _ = fcntl(fd, F_SETFD, FD_CLOEXEC);
}
