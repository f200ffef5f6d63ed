using System.CommandLine;
using Grid.Cli.Config;
using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>`grid profiles` lists the config file's profiles; `grid profiles delete NAME` removes one.</summary>
public static class ProfilesCommand
{
    public static Command Create()
    {
        var command = new Command("profiles", "List the profiles in the config file (the active one is marked)");
        command.SetAction(parse =>
        {
            using var cli = new Invocation(parse);
            var active = cli.Profile ?? Environment.GetEnvironmentVariable("GRID_PROFILE") ?? "default";
            var profiles = Load();
            if (cli.Json)
            {
                Terminal.WriteJson(profiles.Select(p => new { name = p.Name, endpoint = p.Endpoint.ToString().TrimEnd('/'), accessKeyId = p.AccessKeyId, region = p.Region, active = p.Name == active }));
                return ExitCodes.Ok;
            }
            if (profiles.Count == 0)
            {
                Terminal.Note($"No profiles in {Markup.Escape(Connection.ConfigFile)}: run `grid configure` or `grid dev`.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("", "PROFILE", "ENDPOINT", "ACCESS KEY ID", "REGION");
            foreach (var p in profiles)
            {
                table.AddRow(p.Name == active ? "*" : "", Markup.Escape(p.Name), Markup.Escape(p.Endpoint.ToString().TrimEnd('/')), Markup.Escape(p.AccessKeyId), Markup.Escape(p.Region));
            }
            Terminal.Out.Write(table);
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "Profile to delete" };
        var delete = new Command("delete", "Remove a profile from the config file") { name };
        delete.SetAction(parse =>
        {
            var profile = parse.GetRequiredValue(name);
            if (!GridProfile.Remove(profile, Connection.ConfigFile))
            {
                throw new UsageException($"There is no profile '{profile}' in {Connection.ConfigFile}: `grid profiles` lists them.");
            }
            Terminal.Out.MarkupLine($"Deleted profile [bold]{Markup.Escape(profile)}[/]");
            return ExitCodes.Ok;
        });
        command.Add(delete);
        return command;
    }

    private static IReadOnlyList<GridProfile> Load()
    {
        try
        {
            return GridProfile.Load(Connection.ConfigFile);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
