using System.CommandLine;
using Grid.Cli.Config;
using Grid.Cli.Dev;
using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>
/// `grid dev`: runs an embedded Grid node in the foreground and points a profile at it, so that the next `grid`
/// commands (in another terminal) just work.
/// </summary>
public static class DevCommand
{
    public const string ProfileName = "dev";

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port of the node's API", DefaultValueFactory = _ => 9000 };
        var data = new Option<string>("--data") { Description = "Data directory (SQLite, code, logs)", DefaultValueFactory = _ => "./.grid" };
        var quiet = new Option<bool>("--quiet") { Description = "Do not echo the node's own log lines" };
        var command = new Command("dev", "Run a local Grid node in the foreground and point the `dev` profile (and `default`, if unset) at it") { port, data, quiet };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var dataDirectory = Path.GetFullPath(parse.GetValue(data)!);
            var apiPort = parse.GetValue(port);
            if (apiPort is < 1 or > 65535) throw new UsageException($"--port {apiPort} is not a port: use 1-65535.");
            var server = ServerLocator.Find();
            Directory.CreateDirectory(dataDirectory);
            Terminal.Note($"[grey]Starting {Markup.Escape(server)} on port {apiPort}...[/]");
            using var node = DevNode.Start(server, apiPort, dataDirectory, echoOutput: !parse.GetValue(quiet));
            try
            {
                if (!await node.WaitUntilReadyAsync(TimeSpan.FromSeconds(90), cancellationToken))
                {
                    throw new UsageException($"The Grid node exited with code {node.ExitCode} during start (its output is above): fix what it says, or pick another --port.");
                }
                var key = DevCredentials.TryRead(dataDirectory)
                    ?? throw new UsageException($"The node started but wrote no development key to {Path.Combine(dataDirectory, "credentials")}: is {dataDirectory} a cluster node's data directory?");
                var profiles = SaveProfiles(cli.Profile ?? ProfileName, node.Endpoint, key);
                Announce(cli.Json, node, key, profiles);
                await node.WaitForExitAsync(cancellationToken);
                Terminal.Fail($"The Grid node exited on its own with code {node.ExitCode}; its output is above.");
                return ExitCodes.GridError;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Terminal.Note("[grey]Stopping the node...[/]");
                await node.StopAsync();
                return ExitCodes.Ok;
            }
            finally
            {
                await node.StopAsync();
            }
        });
        return command;
    }

    /// <summary>
    /// Writes the named profile, and `default` too when there is none or it points at a local node (an earlier
    /// `grid dev`): a remote default is never replaced behind the user's back.
    /// </summary>
    private static List<string> SaveProfiles(string name, Uri endpoint, (string AccessKeyId, string SecretAccessKey) key)
    {
        var written = new List<string> { name };
        GridProfile.Save(new GridProfile(name, endpoint, key.AccessKeyId, key.SecretAccessKey, "us-east-1"), Connection.ConfigFile);
        var current = GridProfile.Load(Connection.ConfigFile).FirstOrDefault(p => p.Name == "default");
        if (name != "default" && (current is null || current.Endpoint.IsLoopback))
        {
            GridProfile.Save(new GridProfile("default", endpoint, key.AccessKeyId, key.SecretAccessKey, "us-east-1"), Connection.ConfigFile);
            written.Add("default");
        }
        return written;
    }

    private static void Announce(bool json, DevNode node, (string AccessKeyId, string SecretAccessKey) key, List<string> profiles)
    {
        if (json)
        {
            Terminal.WriteJson(new
            {
                endpoint = node.Endpoint, accessKeyId = key.AccessKeyId, secretAccessKey = key.SecretAccessKey, region = "us-east-1",
                dataDirectory = node.DataDirectory, profiles, configFile = Connection.ConfigFile,
            });
            return;
        }
        var grid = new Spectre.Console.Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]Endpoint[/]", Markup.Escape(node.Endpoint.ToString().TrimEnd('/')));
        grid.AddRow("[bold]Access key id[/]", Markup.Escape(key.AccessKeyId));
        grid.AddRow("[bold]Secret access key[/]", Markup.Escape(key.SecretAccessKey));
        grid.AddRow("[bold]Region[/]", "us-east-1");
        grid.AddRow("[bold]Data[/]", Markup.Escape(node.DataDirectory));
        grid.AddRow("[bold]Profiles[/]", Markup.Escape(string.Join(", ", profiles)) + $" in {Markup.Escape(Connection.ConfigFile)}");
        Terminal.Out.Write(new Panel(grid).Header("Grid dev node is running").Border(BoxBorder.Rounded));
        var hint = profiles.Contains("default") ? "grid deploy ./samples/hello-python" : $"grid --profile {profiles[0]} deploy ./samples/hello-python";
        Terminal.Out.MarkupLine($"Try [bold]{Markup.Escape(hint)}[/] in another terminal. Press Ctrl-C to stop.");
    }
}
