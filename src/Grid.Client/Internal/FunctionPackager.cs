using System.IO.Compression;

namespace Grid.Client.Internal;

/// <summary>
/// Zips a function directory in memory, reproducibly: entries in ordinal path order, a fixed timestamp, and each file's
/// Unix mode in ExternalAttributes (a <c>bootstrap</c> is always executable), so unchanged code gives an unchanged CodeSha256.
/// </summary>
internal static class FunctionPackager
{
    private static readonly DateTimeOffset FixedTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const int RegularFile = 0x8000; // S_IFREG
    private const int DefaultMode = 0b110_100_100; // 0644
    private const int ExecuteBits = 0b001_001_001;

    public static async Task<byte[]> ZipAsync(string directory, IProgress<DeployProgress>? progress, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The function directory '{directory}' does not exist: pass the folder that holds the handler's files.");
        }
        var root = Path.GetFullPath(directory);
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => (Path: f, Name: Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0) throw new InvalidOperationException($"The function directory '{directory}' is empty: there is nothing to deploy.");
        var total = files.Sum(f => new FileInfo(f.Path).Length);
        long done = 0;
        progress?.Report(new DeployProgress("zipping", 0, total));

        using var buffer = new MemoryStream();
        await using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var chunk = new byte[81920];
            foreach (var (path, name) in files)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                entry.LastWriteTime = FixedTime;
                entry.ExternalAttributes = unchecked((RegularFile | Mode(path, name)) << 16);
                await using var source = File.OpenRead(path);
                await using var target = await entry.OpenAsync(cancellationToken);
                int read;
                while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
                {
                    await target.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
                    done += read;
                    progress?.Report(new DeployProgress("zipping", done, total));
                }
            }
        }
        return buffer.ToArray();
    }

    private static int Mode(string path, string name)
    {
        var mode = OperatingSystem.IsWindows() ? DefaultMode : (int)File.GetUnixFileMode(path) & 0b111_111_111;
        if (name == "bootstrap" || name.EndsWith("/bootstrap", StringComparison.Ordinal)) mode |= ExecuteBits;
        return mode == 0 ? DefaultMode : mode;
    }
}
