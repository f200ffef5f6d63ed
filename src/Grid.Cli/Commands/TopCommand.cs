using Spectre.Console;
using System.CommandLine;
using System.Text.Json;
using Grid.Cli.Output;
using Grid.Cli.Top;
using Grid.Client;

namespace Grid.Cli.Commands;

/// <summary>
/// `grid top`: a live view of the node's functions (rates, errors, throttles, concurrency, warm instances, average
/// duration), sampled every --interval from the stats endpoint; q or Ctrl-C quits. With --json, one sample per line.
/// </summary>
public static class TopCommand
{
    public static Command Create()
    {
        var interval = new Option<string>("--interval") { Description = "Refresh interval, e.g. 1s, 500ms, 5s", DefaultValueFactory = _ => "1s" };
        var command = new Command("top", "Live view of the node's functions (q or Ctrl-C to quit)") { interval };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var every = TimeSpec.Interval(parse.GetValue(interval)!, "--interval");
            var client = cli.Client;
            try
            {
                if (cli.Json) await StreamJsonAsync(client, every, cancellationToken);
                else await LiveAsync(client, every, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C is how top ends.
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task LiveAsync(IGridClient client, TimeSpan every, CancellationToken cancellationToken)
    {
        var first = await client.GetStatsAsync(cancellationToken); // a wrong profile or a dead node fails here, with a clear error, not in a frame
        await Terminal.Out.Live(TopView.Render(null, first, null, every)).AutoClear(false).StartAsync(async context =>
        {
            var previous = first;
            while (!await QuitRequestedAsync(every, cancellationToken))
            {
                try
                {
                    var current = await client.GetStatsAsync(cancellationToken);
                    context.UpdateTarget(TopView.Render(previous, current, null, every));
                    previous = current;
                }
                catch (HttpRequestException e)
                {
                    context.UpdateTarget(TopView.Render(null, previous, $"The node did not answer ({e.Message}); retrying...", every));
                }
                catch (TimeoutException e)
                {
                    context.UpdateTarget(TopView.Render(null, previous, e.Message, every));
                }
            }
        });
    }

    private static async Task StreamJsonAsync(IGridClient client, TimeSpan every, CancellationToken cancellationToken)
    {
        do
        {
            var stats = await client.GetStatsAsync(cancellationToken);
            Console.Out.WriteLine(JsonSerializer.Serialize(stats, Terminal.JsonCompact));
            Console.Out.Flush();
        }
        while (!await QuitRequestedAsync(every, cancellationToken));
    }

    /// <summary>Waits one interval, watching the keyboard (on a terminal): true as soon as q, Q or Escape is pressed.</summary>
    private static async Task<bool> QuitRequestedAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + interval;
        while (DateTime.UtcNow < until)
        {
            while (Terminal.StdinIsTerminal && Console.KeyAvailable)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Escape || key.KeyChar is 'q' or 'Q') return true;
            }
            var left = until - DateTime.UtcNow;
            await Task.Delay(left < TimeSpan.FromMilliseconds(50) ? left.Duration() : TimeSpan.FromMilliseconds(50), cancellationToken);
        }
        return false;
    }
}
