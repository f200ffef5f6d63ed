using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Grid.Cli.Output;

/// <summary>
/// The two streams: results on stdout (tables for people, JSON with --json, raw bodies for pipes) and everything
/// else on stderr (progress, logs, errors), so `grid invoke f | jq` only ever sees the answer.
/// </summary>
public static class Terminal
{
    public static IAnsiConsole Out { get; } = Create(Console.Out, Console.IsOutputRedirected);

    public static IAnsiConsole Error { get; } = Create(Console.Error, Console.IsErrorRedirected);

    /// <summary>Redirected output (files, pipes, tests) is not wrapped at 80 columns: a line stays a line.</summary>
    private static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        if (redirected) console.Profile.Width = 250;
        return console;
    }

    public static bool StdoutIsTerminal => !Console.IsOutputRedirected;

    public static bool StderrIsTerminal => !Console.IsErrorRedirected;

    public static bool StdinIsTerminal => !Console.IsInputRedirected;

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>For JSON lines (streams): one object per line.</summary>
    public static readonly JsonSerializerOptions JsonCompact = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes a value as indented JSON to stdout (plain text: no markup, no wrapping).</summary>
    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Aligned "label  value" lines on stdout (plain text, no trailing padding, so they grep well).</summary>
    public static void KeyValues(params (string Label, string? Value)[] rows)
    {
        var width = rows.Max(r => r.Label.Length) + 2;
        foreach (var (label, value) in rows) Console.Out.WriteLine(label.PadRight(width) + (value ?? "-"));
    }

    /// <summary>A one-line informational message on stderr (markup allowed).</summary>
    public static void Note(string markup) => Error.MarkupLine(markup);

    /// <summary>Writes one error line on stderr.</summary>
    public static void Fail(string message)
    {
        if (StderrIsTerminal) Error.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        else Console.Error.WriteLine("error: " + message);
    }
}
