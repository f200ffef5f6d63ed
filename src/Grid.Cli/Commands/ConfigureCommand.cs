using System.CommandLine;
using Grid.Cli.Config;
using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>`grid configure`: writes a profile (endpoint, key, region) to the config file; prompts for what is missing on a terminal.</summary>
public static class ConfigureCommand
{
    public static Command Create()
    {
        var accessKeyId = new Option<string?>("--access-key-id") { Description = "Access key id (from the node's first start or `Grid.Server keys create`)" };
        var secret = new Option<string?>("--secret-access-key") { Description = "Secret access key" };
        var region = new Option<string?>("--region") { Description = "Region of the node (default us-east-1)" };
        var command = new Command("configure", "Save connection settings as a profile in ~/.grid/config (prompts for missing values on a terminal)")
        {
            accessKeyId, secret, region,
        };
        command.SetAction(parse =>
        {
            using var cli = new Invocation(parse);
            var name = cli.Profile ?? Environment.GetEnvironmentVariable("GRID_PROFILE") ?? "default";
            var existing = GridProfile.Load(Connection.ConfigFile).FirstOrDefault(p => p.Name == name);
            var endpoint = Value(parse.GetValue(GlobalOptions.Endpoint), "--endpoint", "Endpoint (Grid node URL)", existing?.Endpoint.ToString().TrimEnd('/') ?? "http://127.0.0.1:9000");
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new UsageException($"'{endpoint}' is not an http(s) URL: use e.g. --endpoint http://127.0.0.1:9000.");
            }
            var keyId = Value(parse.GetValue(accessKeyId), "--access-key-id", "Access key id", existing?.AccessKeyId);
            var key = Value(parse.GetValue(secret), "--secret-access-key", "Secret access key", existing?.SecretAccessKey, secret: true);
            var regionName = parse.GetValue(region) ?? existing?.Region ?? "us-east-1";
            GridProfile.Save(new GridProfile(name, uri, keyId, key, regionName), Connection.ConfigFile);
            if (cli.Json) Terminal.WriteJson(new { profile = name, endpoint = uri.ToString().TrimEnd('/'), region = regionName, configFile = Connection.ConfigFile });
            else Terminal.Out.MarkupLine($"Saved profile [bold]{Markup.Escape(name)}[/] ({Markup.Escape(uri.ToString().TrimEnd('/'))}) in {Markup.Escape(Connection.ConfigFile)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The flag's value, else a prompt (terminal only, default = the profile's current value), else a usage error.</summary>
    private static string Value(string? given, string flag, string prompt, string? current, bool secret = false)
    {
        if (!string.IsNullOrWhiteSpace(given)) return given.Trim();
        if (!Terminal.StdinIsTerminal)
        {
            return current ?? throw new UsageException($"{flag} is required when not on a terminal: pass it, e.g. `grid configure {flag} ...`.");
        }
        // Spectre ends a prompt that shows its default with "(default):" itself.
        var showsDefault = current is not null && !secret;
        var question = new TextPrompt<string>(showsDefault ? prompt : prompt + ":");
        if (current is not null) question.DefaultValue(current).ShowDefaultValue(showsDefault);
        if (secret) question.Secret();
        return Terminal.Error.Prompt(question).Trim();
    }
}
