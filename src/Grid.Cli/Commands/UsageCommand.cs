using System.CommandLine;
using Grid.Cli.Output;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>`grid usage [--since]`: metered requests, billed time and GB-seconds per function.</summary>
public static class UsageCommand
{
    public static Command Create()
    {
        var since = new Option<string?>("--since") { Description = "Start: 7d, 24h or an ISO 8601 time (default: the start of this month)" };
        var command = new Command("usage", "Show metered usage (requests, billed duration, GB-seconds)") { since };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var start = parse.GetValue(since) is { } s ? TimeSpec.Since(s, "--since") : (DateTimeOffset?)null;
            var report = await cli.Client.GetUsageAsync(start, null, cancellationToken);
            if (cli.Json)
            {
                Terminal.WriteJson(report);
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple)
                .Title($"Usage of {Markup.Escape(report.AccountId)}, {report.Start:yyyy-MM-dd HH:mm} to {report.End:yyyy-MM-dd HH:mm} UTC")
                .AddColumn("FUNCTION").AddColumn(new TableColumn("REQUESTS").RightAligned())
                .AddColumn(new TableColumn("BILLED MS").RightAligned()).AddColumn(new TableColumn("GB-SECONDS").RightAligned());
            foreach (var line in report.Functions.OrderBy(l => l.FunctionName, StringComparer.Ordinal))
            {
                table.AddRow(Markup.Escape(line.FunctionName ?? "-"), line.Requests.ToString("N0"), line.BilledDurationMs.ToString("N0"), Units.Number(line.GbSeconds, "0.######"));
            }
            table.AddRow("[bold]total[/]", report.Total.Requests.ToString("N0"), report.Total.BilledDurationMs.ToString("N0"), Units.Number(report.Total.GbSeconds, "0.######"));
            Terminal.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
