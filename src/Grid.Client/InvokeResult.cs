using System.Text;

namespace Grid.Client;

/// <summary>
/// What a synchronous invoke answered. <see cref="FunctionError"/> is "Unhandled" (or "Handled") when the function failed;
/// the payload is then the error document.
/// </summary>
public sealed record InvokeResult(int StatusCode, ReadOnlyMemory<byte> Payload, string? FunctionError, string? ExecutedVersion, string? LogTail, string RequestId)
{
    /// <summary>The payload as UTF-8 text.</summary>
    public string PayloadText => Encoding.UTF8.GetString(Payload.Span);
}
