using System.Diagnostics;
using Grid.Cli.Output;
using Spectre.Console;

namespace Grid.Cli.Deploy;

/// <summary>
/// Builds a C# function folder (one with a .csproj) with `dotnet publish -c Release` into a temporary folder, which
/// is what gets zipped. The build's output is shown dimmed on stderr as it happens (errors in red), so a failing
/// build says why.
/// </summary>
public static class DotnetPublisher
{
    public static string? FindProject(string folder)
    {
        var projects = Directory.GetFiles(folder, "*.csproj");
        return projects.Length switch
        {
            0 => null,
            1 => projects[0],
            _ => throw new UsageException($"{folder} has {projects.Length} .csproj files: keep one per function folder, or deploy a zip."),
        };
    }

    /// <summary>Publishes the project; returns the output folder (the caller deletes it).</summary>
    public static async Task<string> PublishAsync(string project, CancellationToken cancellationToken)
    {
        var output = Directory.CreateTempSubdirectory("grid-publish-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "publish", project, "-c", "Release", "-o", output, "--nologo", "-v", "quiet", "-p:GenerateDocumentationFile=false" })
        {
            start.ArgumentList.Add(a);
        }
        Terminal.Note($"[grey]dotnet publish {Markup.Escape(Path.GetFileName(project))} -c Release[/]");
        using var process = Process.Start(start) ?? throw new UsageException("Could not start `dotnet`: install the .NET SDK to deploy a C# function.");
        static void Show(string? line)
        {
            if (string.IsNullOrWhiteSpace(line)) return;
            var isError = line.Contains(": error ", StringComparison.Ordinal);
            Terminal.Error.MarkupLine(isError ? $"[red]{Markup.Escape(line)}[/]" : $"[grey]  {Markup.Escape(line)}[/]");
        }
        process.OutputDataReceived += (_, e) => Show(e.Data);
        process.ErrorDataReceived += (_, e) => Show(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            Directory.Delete(output, recursive: true);
            throw new UsageException($"`dotnet publish {project}` failed with exit code {process.ExitCode} (its errors are above): fix the build, then deploy again.");
        }
        return output;
    }
}
