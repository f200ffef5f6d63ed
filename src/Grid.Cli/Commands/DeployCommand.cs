using System.CommandLine;
using Grid.Cli.Deploy;
using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>
/// `grid deploy PATH`: creates or updates a function from a folder (zipped as is; a folder with a .csproj is
/// published with `dotnet publish` first) or a ready zip. Settings come from flags, then the folder's grid.json.
/// </summary>
public static class DeployCommand
{
    /// <summary>The runtime a C# function folder gets unless told otherwise.</summary>
    public const string DotnetRuntime = "dotnet8";

    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "Function folder (may hold grid.json; a .csproj is built with dotnet publish) or a .zip" };
        var name = new Option<string?>("--name") { Description = "Function name (default: grid.json's name)" };
        var runtime = new Option<string?>("--runtime") { Description = "e.g. python3.12, nodejs20.x, provided.al2023, dotnet8 (default for a .csproj folder)" };
        var handler = new Option<string?>("--handler") { Description = "e.g. app.handler, index.handler, Assembly::Namespace.Type::Method" };
        var memory = new Option<int?>("--memory") { Description = "Memory in MB (128-10240)" };
        var timeout = new Option<int?>("--timeout") { Description = "Timeout in seconds (1-900)" };
        var env = new Option<string[]>("--env") { Description = "Environment variable K=V (repeatable; merged over grid.json's)", AllowMultipleArgumentsPerToken = false };
        var publish = new Option<bool>("--publish") { Description = "Publish a version after deploying" };
        var description = new Option<string?>("--description") { Description = "Function description" };
        var command = new Command("deploy", "Create or update a function from a folder or a zip")
        {
            path, name, runtime, handler, memory, timeout, env, publish, description,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var source = Path.GetFullPath(parse.GetRequiredValue(path));
            var isFolder = Directory.Exists(source);
            if (!isFolder && !File.Exists(source))
            {
                throw new UsageException($"{source} does not exist: give a function folder or a .zip file.");
            }
            if (!isFolder && !source.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"{source} is a file but not a .zip: give the function's folder, or zip it first.");
            }
            var manifest = isFolder ? GridManifest.Load(source) : new GridManifest();
            var project = isFolder ? DotnetPublisher.FindProject(source) : null;
            var request = new DeployRequest
            {
                FunctionName = parse.GetValue(name) ?? manifest.Name
                    ?? throw new UsageException($"No function name: add --name NAME or a {GridManifest.FileName} with \"name\" in {(isFolder ? source : "the folder")}."),
                Runtime = parse.GetValue(runtime) ?? manifest.Runtime ?? (project is null ? null : DotnetRuntime),
                Handler = parse.GetValue(handler) ?? manifest.Handler,
                MemorySize = parse.GetValue(memory) ?? manifest.MemorySize,
                Timeout = parse.GetValue(timeout) ?? manifest.Timeout,
                Environment = MergeEnvironment(manifest.Environment, parse.GetValue(env) ?? []),
                Description = parse.GetValue(description) ?? manifest.Description,
                Publish = parse.GetValue(publish),
            };
            await RequireCreateSettingsAsync(cli.Client, request, cancellationToken);

            string? built = null;
            try
            {
                if (project is not null) built = await DotnetPublisher.PublishAsync(project, cancellationToken);
                if (isFolder) request.Directory = built ?? source;
                else request.ZipFile = source;
                var deployed = await DeployProgressView.RunAsync(cli.Json,
                    progress => cli.Client.DeployAsync(request, progress, cancellationToken));
                Print(cli.Json, deployed);
                return ExitCodes.Ok;
            }
            finally
            {
                if (built is not null) Directory.Delete(built, recursive: true);
            }
        });
        return command;
    }

    /// <summary>A new function needs a runtime and a handler; an existing one keeps its own. One call tells them apart.</summary>
    private static async Task RequireCreateSettingsAsync(IGridClient client, DeployRequest request, CancellationToken cancellationToken)
    {
        if (request.Runtime is not null && request.Handler is not null) return;
        try
        {
            await client.GetFunctionAsync(request.FunctionName, cancellationToken: cancellationToken);
        }
        catch (GridNotFoundException)
        {
            var missing = request.Runtime is null
                ? "a runtime: add --runtime (e.g. python3.12, nodejs20.x, dotnet8) or \"runtime\" in grid.json"
                : "a handler: add --handler (e.g. app.handler for app.py's handler function) or \"handler\" in grid.json";
            throw new UsageException($"Function {request.FunctionName} does not exist yet, so it needs {missing}.");
        }
    }

    private static Dictionary<string, string>? MergeEnvironment(Dictionary<string, string>? fromManifest, string[] flags)
    {
        if (fromManifest is null && flags.Length == 0) return null;
        var merged = new Dictionary<string, string>(fromManifest ?? [], StringComparer.Ordinal);
        foreach (var pair in flags)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--env '{pair}' is not KEY=VALUE: write e.g. --env STAGE=dev.");
            merged[pair[..eq]] = pair[(eq + 1)..];
        }
        return merged;
    }

    private static void Print(bool json, FunctionInfo f)
    {
        if (json)
        {
            Terminal.WriteJson(f);
            return;
        }
        Terminal.Out.MarkupLine($"[green]Deployed[/] [bold]{Markup.Escape(f.FunctionName)}[/]");
        Terminal.KeyValues(
            ("ARN", f.FunctionArn),
            ("Version", f.Version),
            ("Runtime", f.Runtime),
            ("Handler", f.Handler),
            ("Code size", Units.Bytes(f.CodeSize)),
            ("SHA-256", f.CodeSha256));
    }
}
