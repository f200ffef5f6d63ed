using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Grid.Cli.Top;

/// <summary>Renders one frame of `grid top`: a header line about the node and a table of functions.</summary>
public static class TopView
{
    public static IRenderable Render(NodeStats? previous, NodeStats? current, string? problem, TimeSpan interval)
    {
        var header = current is null
            ? new Markup("[grey]waiting for the first sample...[/]")
            : new Markup(
                $"[bold]grid top[/]  node [bold]{Markup.Escape(current.Node)}[/]  up {Units.Uptime(TimeSpan.FromSeconds(current.UptimeSeconds))}  " +
                $"environments {current.Environments.Total} ([green]{current.Environments.Busy} busy[/], {current.Environments.Idle} idle)  " +
                $"every {Units.Number(interval.TotalSeconds)}s  [grey]q to quit[/]");
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("FUNCTION")
            .AddColumn(new TableColumn("INVOCATIONS").RightAligned())
            .AddColumn(new TableColumn("INV/S").RightAligned())
            .AddColumn(new TableColumn("ERRORS").RightAligned())
            .AddColumn(new TableColumn("ERR/S").RightAligned())
            .AddColumn(new TableColumn("THROTTLES").RightAligned())
            .AddColumn(new TableColumn("COLD").RightAligned())
            .AddColumn(new TableColumn("CONC").RightAligned())
            .AddColumn(new TableColumn("WARM (BUSY/IDLE)").RightAligned())
            .AddColumn(new TableColumn("AVG MS").RightAligned());
        foreach (var row in current is null ? [] : TopRow.From(previous, current))
        {
            table.AddRow(
                Markup.Escape(row.FunctionName),
                row.Invocations.ToString(),
                Rate(row.InvocationsPerSecond),
                row.Errors == 0 ? "0" : $"[red]{row.Errors}[/]",
                Rate(row.ErrorsPerSecond, "red"),
                row.Throttles == 0 ? "0" : $"[yellow]{row.Throttles}[/]",
                row.ColdStarts.ToString(),
                row.Concurrent.ToString(),
                $"{row.Warm} ({row.Busy}/{row.Warm - row.Busy})",
                row.AverageMs is { } ms ? Units.Number(ms, "0.0") : "-");
        }
        if (current is { Functions.Count: 0 }) table.Caption("[grey]No invocations on this node yet.[/]");
        var parts = new List<IRenderable> { header, table };
        if (problem is not null) parts.Add(new Markup($"[red]{Markup.Escape(problem)}[/]"));
        return new Rows(parts);
    }

    private static string Rate(double? perSecond, string? color = null)
    {
        if (perSecond is not { } rate) return "-";
        var text = Units.Number(rate, "0.0");
        return color is not null && rate > 0 ? $"[{color}]{text}[/]" : text;
    }
}
