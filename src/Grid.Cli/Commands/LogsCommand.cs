using System.CommandLine;
using System.Text.Json;
using Grid.Cli.Output;
using Grid.Client;

namespace Grid.Cli.Commands;

/// <summary>
/// `grid logs NAME`: a function's invocation logs (START, the function's output, END, REPORT) from the node that ran
/// them; --follow keeps printing new invocations until Ctrl-C.
/// </summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Function name" };
        var since = new Option<string?>("--since") { Description = "How far back: 30s, 10m, 2h, 7d or an ISO 8601 time (default 10m)" };
        var requestId = new Option<string?>("--request-id") { Description = "Only this invocation" };
        var limit = new Option<int?>("--limit") { Description = "At most this many invocations (default 100)" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new invocations until Ctrl-C" };
        var command = new Command("logs", "Print a function's invocation logs") { name, since, requestId, limit, follow };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var query = new LogQuery
            {
                RequestId = parse.GetValue(requestId),
                // A request id names one invocation: look as far back as the node keeps logs unless told otherwise.
                Start = parse.GetValue(since) is { } s ? TimeSpec.Since(s, "--since")
                    : parse.GetValue(requestId) is null ? DateTimeOffset.UtcNow.AddMinutes(-10) : null,
                Limit = parse.GetValue(limit),
                Follow = parse.GetValue(follow),
            };
            var count = 0;
            try
            {
                await foreach (var record in cli.Client.GetLogsAsync(parse.GetRequiredValue(name), query, cancellationToken))
                {
                    Write(cli.Json, record);
                    count++;
                }
            }
            catch (OperationCanceledException) when (query.Follow && cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Ok; // Ctrl-C ends a follow; that is its normal end
            }
            if (count == 0 && !cli.Json) Terminal.Note("[grey]No invocation logs in that window (try --since 1h).[/]");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Write(bool json, LogRecord record)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(record, Terminal.JsonCompact)); // one JSON object per line, even when following
            return;
        }
        var message = record.Message.EndsWith('\n') ? record.Message : record.Message + "\n";
        Console.Out.Write(message);
        Console.Out.Flush();
    }
}
