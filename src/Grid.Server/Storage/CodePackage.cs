using System.IO.Compression;
using System.Security.Cryptography;
using Grid.Server.Api;
using Grid.Server.Model;

namespace Grid.Server.Storage;

/// <summary>
/// A validated deployment package. Zips are hostile until proven otherwise: sizes are counted while inflating
/// (never trusted from headers), entries may not escape the root by "..", absolute paths or links.
/// </summary>
public sealed class CodePackage
{
    private const int UnixSymlink = 0xA000;
    private const string CorruptZip = "Could not unzip uploaded file. Please check your file, then try to upload again.";

    public byte[] Zip { get; }
    public string Sha256Hex { get; }
    public string CodeSha256 { get; }
    public long UnzippedSize { get; }

    private CodePackage(byte[] zip, string hex, string b64, long unzipped)
    {
        Zip = zip;
        Sha256Hex = hex;
        CodeSha256 = b64;
        UnzippedSize = unzipped;
    }

    /// <summary>Validates a zip from the API; throws the Lambda error a real client would see.</summary>
    public static CodePackage Validate(byte[] zip, long maxUnzipped = CodeLimits.MaxUnzippedBytes)
    {
        if (zip.LongLength > CodeLimits.MaxZippedBytes)
        {
            throw Errors.RequestTooLarge($"Zipped size must be smaller than {CodeLimits.MaxZippedBytes} bytes");
        }
        var total = Inspect(zip, maxUnzipped, extractTo: null);
        var hash = SHA256.HashData(zip);
        return new CodePackage(zip, Convert.ToHexStringLower(hash), Convert.ToBase64String(hash), total);
    }

    /// <summary>Extracts a (previously validated) zip into an empty directory, enforcing the same rules again.</summary>
    public static void Extract(byte[] zip, string directory, long maxUnzipped = CodeLimits.MaxUnzippedBytes)
    {
        Directory.CreateDirectory(directory);
        Inspect(zip, maxUnzipped, directory);
    }

    private static long Inspect(byte[] zip, long maxUnzipped, string? extractTo)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException)
        {
            throw Errors.InvalidParameter(CorruptZip);
        }

        using (archive)
        {
            var root = extractTo is null ? "/__grid_root__" : Path.GetFullPath(extractTo);
            long total = 0;
            var buffer = new byte[81920];
            try
            {
                foreach (var entry in archive.Entries)
                {
                    var target = SafePath(root, entry.FullName);
                    var mode = (entry.ExternalAttributes >> 16) & 0xF000;
                    var isDirectory = entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\');

                    if (mode == UnixSymlink)
                    {
                        using var linkStream = entry.Open();
                        using var linkReader = new StreamReader(linkStream);
                        var linkTarget = linkReader.ReadToEnd();
                        var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(target)!, linkTarget));
                        if (Path.IsPathRooted(linkTarget) || !IsUnder(root, resolved))
                        {
                            throw Errors.InvalidParameter(CorruptZip + $" The entry '{entry.FullName}' is a link that leaves the package.");
                        }
                        if (extractTo is not null)
                        {
                            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                            File.CreateSymbolicLink(target, linkTarget);
                        }
                        continue;
                    }

                    if (isDirectory)
                    {
                        if (extractTo is not null) Directory.CreateDirectory(target);
                        continue;
                    }

                    using var input = entry.Open();
                    FileStream? output = null;
                    if (extractTo is not null)
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
                    }
                    using (output)
                    {
                        int read;
                        while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
                        {
                            total += read;
                            if (total > maxUnzipped)
                            {
                                throw Errors.InvalidParameter($"Unzipped size must be smaller than {maxUnzipped} bytes");
                            }
                            output?.Write(buffer, 0, read);
                        }
                    }
                    if (extractTo is not null && ((entry.ExternalAttributes >> 16) & 0x49) != 0)
                    {
                        // Keep the executable bits (a `provided` bootstrap must be runnable).
                        File.SetUnixFileMode(target, File.GetUnixFileMode(target) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                    }
                }
            }
            catch (InvalidDataException)
            {
                throw Errors.InvalidParameter(CorruptZip);
            }
            catch (IOException) when (extractTo is not null)
            {
                throw Errors.InvalidParameter(CorruptZip + " It contains duplicate or conflicting entries.");
            }
            return total;
        }
    }

    private static string SafePath(string root, string entryName)
    {
        if (entryName.Length == 0 || Path.IsPathRooted(entryName) || entryName.StartsWith('\\') || entryName.Contains('\0'))
        {
            throw Errors.InvalidParameter(CorruptZip + $" The entry '{entryName}' has an absolute path.");
        }
        var full = Path.GetFullPath(Path.Combine(root, entryName.Replace('\\', '/')));
        if (!IsUnder(root, full))
        {
            throw Errors.InvalidParameter(CorruptZip + $" The entry '{entryName}' leaves the package root.");
        }
        return full;
    }

    private static bool IsUnder(string root, string path) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);
}
