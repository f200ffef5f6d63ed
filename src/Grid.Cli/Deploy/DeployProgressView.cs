using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;

namespace Grid.Cli.Deploy;

/// <summary>
/// Shows the SDK's deploy progress: bars for zipping and uploading on a terminal (Spectre), one line per stage
/// otherwise (CI logs). Called synchronously from the SDK, possibly from several threads.
/// </summary>
public sealed class DeployProgressView : IProgress<DeployProgress>
{
    private readonly ProgressContext? _context;
    private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
    private string? _lastStage;

    private DeployProgressView(ProgressContext? context) => _context = context;

    /// <summary>Runs <paramref name="deploy"/> with a progress display on stderr (bars on a terminal, lines elsewhere, nothing with --json).</summary>
    public static async Task<T> RunAsync<T>(bool quiet, Func<IProgress<DeployProgress>?, Task<T>> deploy)
    {
        if (quiet) return await deploy(null);
        if (!Terminal.StderrIsTerminal) return await deploy(new DeployProgressView(null));
        return await Terminal.Error.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new BytesColumn())
            .StartAsync(async context => await deploy(new DeployProgressView(context)));
    }

    public void Report(DeployProgress value)
    {
        lock (_tasks)
        {
            if (_context is null)
            {
                if (value.Stage == _lastStage || value.Stage == "done") return;
                _lastStage = value.Stage;
                var size = value.BytesTotal > 0 ? $" ({Units.Bytes(value.BytesTotal)})" : "";
                Terminal.Error.WriteLine($"{Title(value.Stage)}{size}...");
                return;
            }
            // A new stage completes the earlier ones (configuring has no bytes; its bar simply fills when it is over).
            foreach (var (stage, earlier) in _tasks)
            {
                if (stage != value.Stage && !earlier.IsFinished) earlier.Value = earlier.MaxValue;
            }
            if (value.Stage == "done") return;
            if (!_tasks.TryGetValue(value.Stage, out var task))
            {
                task = _context.AddTask(Title(value.Stage), maxValue: Math.Max(1, value.BytesTotal));
                _tasks[value.Stage] = task;
            }
            if (value.BytesTotal > 0)
            {
                task.MaxValue = value.BytesTotal;
                task.Value = Math.Min(value.BytesDone, value.BytesTotal);
            }
        }
    }

    private static string Title(string stage) => stage.Length == 0 ? stage : char.ToUpperInvariant(stage[0]) + stage[1..];

    /// <summary>Bytes done / total for the stages that move bytes (zipping, uploading); nothing for the others.</summary>
    private sealed class BytesColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            task.MaxValue > 1 ? new Text($"{Units.Bytes((long)task.Value)} / {Units.Bytes((long)task.MaxValue)}") : Text.Empty;
    }
}
