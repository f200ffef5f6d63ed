using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Grid.Server.Execution;

/// <summary>
/// The /opt trees of this node: for each distinct list of layers, the layers' unpacked packages merged in order (a
/// later layer's file replaces an earlier one's), built once into a temp directory and renamed into place.
/// </summary>
public sealed class LayerCache(CodeCache code, string directory)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _inflight = new(StringComparer.Ordinal);

    /// <summary>The merged /opt directory for <paramref name="layers"/> (package SHA-256s in order); null when there are none.</summary>
    public Task<string?> GetOptDirectoryAsync(IReadOnlyList<string> layers)
    {
        if (layers.Count == 0) return Task.FromResult<string?>(null);
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Join(',', layers))));
        var path = Path.Combine(directory, key);
        if (Directory.Exists(path)) return Task.FromResult<string?>(path);
        var lazy = _inflight.GetOrAdd(key, _ => new Lazy<Task<string>>(() => BuildAsync(layers, path, key)));
        return lazy.Value.ContinueWith(t => (string?)t.Result, TaskScheduler.Default);
    }

    private async Task<string> BuildAsync(IReadOnlyList<string> layers, string path, string key)
    {
        try
        {
            return await DirectoryPublisher.PublishAsync(path, async temp =>
            {
                Directory.CreateDirectory(temp);
                foreach (var layer in layers) Merge(await code.GetDirectoryAsync(layer), temp);
            });
        }
        finally
        {
            _inflight.TryRemove(key, out _);
        }
    }

    /// <summary>Copies <paramref name="source"/> over <paramref name="target"/>, keeping symbolic links and modes.</summary>
    private static void Merge(string source, string target)
    {
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var destination = Path.Combine(target, entry.Name);
            var existing = new FileInfo(destination);
            var existingIsLink = existing.LinkTarget is not null;
            if (existingIsLink) existing.Delete(); // never write through a link left by an earlier layer
            if (entry.LinkTarget is { } link)
            {
                if (!existingIsLink && Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
                else if (!existingIsLink && File.Exists(destination)) File.Delete(destination);
                File.CreateSymbolicLink(destination, link);
            }
            else if (entry is DirectoryInfo directory)
            {
                if (File.Exists(destination)) File.Delete(destination);
                Directory.CreateDirectory(destination);
                Merge(directory.FullName, destination);
            }
            else
            {
                if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
                else if (File.Exists(destination)) File.Delete(destination);
                File.Copy(entry.FullName, destination);
            }
        }
    }
}
