using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Grid.Tests.Infrastructure;

/// <summary>Builds function packages in memory and on disk for the CLI's fileb:// arguments.</summary>
public static class Zips
{
    /// <summary>A zip of text files; names ending in "bootstrap" (or listed in executables) get mode 0755.</summary>
    public static byte[] Create(params (string Name, string Content)[] files) =>
        Create(files.Select(f => (f.Name, Encoding.UTF8.GetBytes(f.Content))).ToArray());

    public static byte[] Create(params (string Name, byte[] Content)[] files) => Create(CompressionLevel.Fastest, files);

    public static byte[] Create(CompressionLevel level, params (string Name, byte[] Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                var entry = zip.CreateEntry(name, level);
                var executable = Path.GetFileName(name) == "bootstrap" || name.EndsWith(".sh", StringComparison.Ordinal);
                entry.ExternalAttributes = (executable ? 0b111_101_101 : 0b110_100_100) << 16;
                using var stream = entry.Open();
                stream.Write(content);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>Zips every file under a directory (relative paths, modes kept).</summary>
    public static byte[] FromDirectory(string directory)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            {
                var entry = zip.CreateEntryFromFile(file, Path.GetRelativePath(directory, file), CompressionLevel.Fastest);
                var mode = (int)File.GetUnixFileMode(file);
                if (Path.GetFileName(file) == "bootstrap") mode |= 0b001_001_001; // the build's copy may drop +x
                entry.ExternalAttributes = mode << 16;
            }
        }
        return buffer.ToArray();
    }

    /// <summary>A zip whose single entry inflates to <paramref name="bytes"/> zero bytes (a zip bomb).</summary>
    public static byte[] Bomb(long bytes)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var stream = zip.CreateEntry("zeros.bin", CompressionLevel.SmallestSize).Open();
            var chunk = new byte[1 << 20];
            for (long written = 0; written < bytes; written += chunk.Length) stream.Write(chunk);
        }
        return buffer.ToArray();
    }

    /// <summary>Writes bytes to a temporary file and returns the CLI argument for it (fileb://path).</summary>
    public static string ToFileArgument(byte[] zip)
    {
        var path = Path.Combine(Path.GetTempPath(), "grid-test-" + Guid.NewGuid().ToString("N") + ".zip");
        File.WriteAllBytes(path, zip);
        return "fileb://" + path;
    }

    /// <summary>Lambda's CodeSha256: base64 of the package's SHA-256.</summary>
    public static string Sha256(byte[] zip) => Convert.ToBase64String(SHA256.HashData(zip));
}
