namespace Grid.Server.Storage;

/// <summary>Embedded mode: packages as files under the data directory, written to a temp name then renamed.</summary>
public sealed class FileCodeStore(string directory) : ICodeStore
{
    public async Task PutAsync(string sha256Hex, byte[] zip, CancellationToken ct = default)
    {
        Directory.CreateDirectory(directory);
        var path = PathOf(sha256Hex);
        if (File.Exists(path)) return;
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await File.WriteAllBytesAsync(temp, zip, ct);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async Task<byte[]?> GetAsync(string sha256Hex, CancellationToken ct = default)
    {
        var path = PathOf(sha256Hex);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, ct) : null;
    }

    public Task DeleteAsync(string sha256Hex, CancellationToken ct = default)
    {
        File.Delete(PathOf(sha256Hex));
        return Task.CompletedTask;
    }

    private string PathOf(string sha256Hex) =>
        Path.Combine(directory, (sha256Hex.Length == 64 && sha256Hex.All(char.IsAsciiHexDigitLower)
            ? sha256Hex
            : throw new ArgumentException("Not a SHA-256 hex digest", nameof(sha256Hex))) + ".zip");
}
