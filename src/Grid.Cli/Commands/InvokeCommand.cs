using System.CommandLine;
using System.Text;
using System.Text.Json;
using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>
/// `grid invoke NAME`: sends a payload (--payload, --payload-file, or stdin when it is piped) and writes the
/// function's answer to stdout as is, so it pipes; a function error exits 1 with "errorType: message" on stderr.
/// </summary>
public static class InvokeCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Function name or ARN" };
        var payload = new Option<string?>("--payload") { Description = "JSON payload (default: stdin when piped, else {})" };
        var payloadFile = new Option<string?>("--payload-file") { Description = "Read the payload from a file (- for stdin)" };
        var qualifier = new Option<string?>("--qualifier") { Description = "Version or alias (default $LATEST)" };
        var async = new Option<bool>("--async") { Description = "Queue the event (InvocationType=Event) and print its request id" };
        var logs = new Option<bool>("--logs") { Description = "Print the invocation's log tail to stderr" };
        var command = new Command("invoke", "Invoke a function and print its response") { name, payload, payloadFile, qualifier, async, logs };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var function = parse.GetRequiredValue(name);
            var body = await ReadPayloadAsync(parse.GetValue(payload), parse.GetValue(payloadFile), cancellationToken);
            var options = new InvokeOptions { Qualifier = parse.GetValue(qualifier), TailLogs = parse.GetValue(logs) };
            if (parse.GetValue(async))
            {
                if (options.TailLogs) throw new UsageException("--logs needs a synchronous invoke: drop --async, or read them later with `grid logs NAME`.");
                var requestId = await cli.Client.InvokeEventRawAsync(function, body, options, cancellationToken);
                if (cli.Json) Terminal.WriteJson(new { requestId });
                else Console.Out.WriteLine(requestId);
                return ExitCodes.Ok;
            }
            var result = await cli.Client.InvokeRawAsync(function, body, options, cancellationToken);
            if (result.LogTail is { Length: > 0 } tail) Console.Error.Write(tail.EndsWith('\n') ? tail : tail + "\n");
            if (cli.Json) Terminal.WriteJson(Envelope(result));
            else if (result.FunctionError is null) await WriteBodyAsync(result.Payload);
            if (result.FunctionError is null) return ExitCodes.Ok;
            Terminal.Error.MarkupLine($"[red]{Markup.Escape(DescribeError(result))}[/]");
            return ExitCodes.FunctionError;
        });
        return command;
    }

    private static async Task<byte[]> ReadPayloadAsync(string? inline, string? file, CancellationToken cancellationToken)
    {
        if (inline is not null && file is not null) throw new UsageException("Give either --payload or --payload-file, not both.");
        byte[] body;
        if (inline is not null) body = Encoding.UTF8.GetBytes(inline);
        else if (file == "-" || (file is null && !Terminal.StdinIsTerminal)) body = await ReadStdinAsync(cancellationToken);
        else if (file is not null)
        {
            if (!File.Exists(file)) throw new UsageException($"--payload-file {file} does not exist.");
            body = await File.ReadAllBytesAsync(file, cancellationToken);
        }
        else body = [];
        if (body.Length == 0) return "{}"u8.ToArray();
        try
        {
            using var _ = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new UsageException($"The payload is not valid JSON ({e.Message}): quote it for the shell, e.g. --payload '{{\"name\":\"grid\"}}'.");
        }
        return body;
    }

    private static async Task<byte[]> ReadStdinAsync(CancellationToken cancellationToken)
    {
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        await stdin.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static async Task WriteBodyAsync(ReadOnlyMemory<byte> payload)
    {
        await using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(payload);
        // A newline after a JSON answer on a terminal, never in a pipe (the bytes are the function's).
        if (Terminal.StdoutIsTerminal && !payload.Span.EndsWith("\n"u8)) await stdout.WriteAsync("\n"u8.ToArray());
    }

    /// <summary>"errorType: errorMessage" from Lambda's error document, or the raw body if it is not one.</summary>
    public static string DescribeError(InvokeResult result)
    {
        try
        {
            using var doc = JsonDocument.Parse(result.Payload);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                var type = doc.RootElement.TryGetProperty("errorType", out var t) ? t.GetString() : null;
                var message = doc.RootElement.TryGetProperty("errorMessage", out var m) ? m.GetString() : null;
                if (type is not null || message is not null) return $"{type ?? result.FunctionError}: {message}";
            }
        }
        catch (JsonException) { }
        return $"{result.FunctionError}: {result.PayloadText}";
    }

    private static object Envelope(InvokeResult result)
    {
        object? payload;
        try
        {
            payload = JsonSerializer.Deserialize<JsonElement>(result.Payload.Span);
        }
        catch (JsonException)
        {
            payload = result.PayloadText;
        }
        return new { result.StatusCode, result.RequestId, result.ExecutedVersion, result.FunctionError, Payload = payload, LogTail = result.LogTail };
    }
}
