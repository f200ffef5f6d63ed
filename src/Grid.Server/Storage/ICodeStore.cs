namespace Grid.Server.Storage;

/// <summary>Deployment packages by SHA-256 (hex). Writes are atomic: a package is there whole or not at all.</summary>
public interface ICodeStore
{
    Task PutAsync(string sha256Hex, byte[] zip, CancellationToken ct = default);
    Task<byte[]?> GetAsync(string sha256Hex, CancellationToken ct = default);
    /// <summary>Removes a package no function refers to any more.</summary>
    Task DeleteAsync(string sha256Hex, CancellationToken ct = default);
}
