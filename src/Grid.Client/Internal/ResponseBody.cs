using System.Buffers;

namespace Grid.Client.Internal;

/// <summary>Reads a response body once: into an exactly-sized array, or into a pooled buffer the caller returns.</summary>
internal static class ResponseBody
{
    /// <summary>The body as an array of exactly its length (one copy from the socket, none after).</summary>
    public static async Task<byte[]> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } length and <= int.MaxValue)
        {
            if (length == 0) return [];
            var buffer = GC.AllocateUninitializedArray<byte>((int)length);
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            await stream.ReadExactlyAsync(buffer, cancellationToken);
            return buffer;
        }
        var (rented, count) = await ReadPooledAsync(content, cancellationToken);
        try
        {
            return rented.AsSpan(0, count).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The body in a buffer from <see cref="ArrayPool{T}.Shared"/>; return it when done.</summary>
    public static async Task<(byte[] Buffer, int Length)> ReadPooledAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var size = content.Headers.ContentLength is { } known and > 0 and <= int.MaxValue ? (int)known : 16 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var count = 0;
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            while (true)
            {
                if (count == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await stream.ReadAsync(buffer.AsMemory(count), cancellationToken);
                if (read == 0) return (buffer, count);
                count += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
