using System.Collections.Concurrent;
using System.Security.Cryptography;
using Grid.Server.Storage;

namespace Grid.Server.Execution;

/// <summary>
/// Unpacked deployment packages on this node, one read-only directory per SHA-256: fetched from the code store
/// once, verified, extracted to a temp directory and renamed into place so a half-written tree is never used.
/// </summary>
public sealed class CodeCache(ICodeStore store, string directory)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _inflight = new(StringComparer.Ordinal);

    public Task<string> GetDirectoryAsync(string sha256Hex)
    {
        var path = Path.Combine(directory, sha256Hex);
        if (Directory.Exists(path)) return Task.FromResult(path);
        var lazy = _inflight.GetOrAdd(sha256Hex, h => new Lazy<Task<string>>(() => UnpackAsync(h, path)));
        return lazy.Value;
    }

    private async Task<string> UnpackAsync(string sha256Hex, string path)
    {
        try
        {
            var zip = await store.GetAsync(sha256Hex)
                ?? throw new InvalidOperationException($"Code package {sha256Hex} is missing from the code store.");
            if (Convert.ToHexStringLower(SHA256.HashData(zip)) != sha256Hex)
            {
                throw new InvalidOperationException($"Code package {sha256Hex} failed its SHA-256 check.");
            }
            return await DirectoryPublisher.PublishAsync(path, temp =>
            {
                CodePackage.Extract(zip, temp);
                return Task.CompletedTask;
            });
        }
        finally
        {
            _inflight.TryRemove(sha256Hex, out _);
        }
    }
}
