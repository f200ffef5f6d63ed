using System.Net;

namespace Grid.Client.Internal;

/// <summary>A request body that reports how many bytes have gone out (deploy uploads), written in 64 KB slices of the original memory.</summary>
internal sealed class ProgressContent(ReadOnlyMemory<byte> body, IProgress<DeployProgress>? progress, string stage) : HttpContent
{
    private const int Slice = 64 * 1024;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, default);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        progress?.Report(new DeployProgress(stage, 0, body.Length));
        for (var offset = 0; offset < body.Length; offset += Slice)
        {
            var slice = body.Slice(offset, Math.Min(Slice, body.Length - offset));
            await stream.WriteAsync(slice, cancellationToken);
            progress?.Report(new DeployProgress(stage, offset + slice.Length, body.Length));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }
}
