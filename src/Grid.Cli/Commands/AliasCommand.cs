using System.CommandLine;
using System.Globalization;
using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>`grid alias set | list | delete`: names for versions, with weighted routing for canary releases.</summary>
public static class AliasCommand
{
    public static Command Create()
    {
        var command = new Command("alias", "Create, list and delete aliases (weighted routing for canaries)");
        command.Add(Set());
        command.Add(List());
        command.Add(Delete());
        return command;
    }

    private static Command Set()
    {
        var function = new Argument<string>("function") { Description = "Function name" };
        var alias = new Argument<string>("alias") { Description = "Alias name, e.g. live" };
        var version = new Argument<string>("version") { Description = "Version the alias points at" };
        var weight = new Option<string[]>("--weight")
        {
            Description = "Send a share of traffic to another version: VERSION=SHARE (0-1), e.g. --weight 2=0.1. Without it the split is cleared",
            AllowMultipleArgumentsPerToken = false,
        };
        var description = new Option<string?>("--description") { Description = "Alias description" };
        var set = new Command("set", "Create an alias or point it at a version (and optionally split traffic)") { function, alias, version, weight, description };
        set.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var weights = Weights(parse.GetValue(weight) ?? []);
            var result = await cli.Client.SetAliasAsync(parse.GetRequiredValue(function), parse.GetRequiredValue(alias), parse.GetRequiredValue(version),
                weights, parse.GetValue(description), cancellationToken);
            if (cli.Json) Terminal.WriteJson(result);
            else Terminal.Out.MarkupLine($"Alias [bold]{Markup.Escape(result.Name)}[/] -> {Markup.Escape(Routing(result))}");
            return ExitCodes.Ok;
        });
        return set;
    }

    private static Command List()
    {
        var function = new Argument<string>("function") { Description = "Function name" };
        var list = new Command("list", "List a function's aliases") { function };
        list.Aliases.Add("ls");
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var aliases = new List<AliasInfo>();
            await foreach (var a in cli.Client.ListAliasesAsync(parse.GetRequiredValue(function), cancellationToken)) aliases.Add(a);
            if (cli.Json)
            {
                Terminal.WriteJson(aliases);
                return ExitCodes.Ok;
            }
            if (aliases.Count == 0)
            {
                Terminal.Note("No aliases: `grid alias set FUNCTION ALIAS VERSION` creates one.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("ALIAS", "ROUTING", "DESCRIPTION");
            foreach (var a in aliases) table.AddRow(Markup.Escape(a.Name), Markup.Escape(Routing(a)), Markup.Escape(a.Description ?? ""));
            Terminal.Out.Write(table);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Delete()
    {
        var function = new Argument<string>("function") { Description = "Function name" };
        var alias = new Argument<string>("alias") { Description = "Alias name" };
        var delete = new Command("delete", "Delete an alias") { function, alias };
        delete.Aliases.Add("rm");
        delete.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            await cli.Client.DeleteAliasAsync(parse.GetRequiredValue(function), parse.GetRequiredValue(alias), cancellationToken);
            if (cli.Json) Terminal.WriteJson(new { deleted = parse.GetRequiredValue(alias) });
            else Terminal.Out.MarkupLine($"Deleted alias [bold]{Markup.Escape(parse.GetRequiredValue(alias))}[/]");
            return ExitCodes.Ok;
        });
        return delete;
    }

    /// <summary>"1 (90%), 2 (10%)" or just "1".</summary>
    public static string Routing(AliasInfo alias)
    {
        if (alias.AdditionalVersionWeights is not { Count: > 0 } weights) return alias.FunctionVersion;
        var main = 1 - weights.Values.Sum();
        return $"{alias.FunctionVersion} ({Percent(main)}), " + string.Join(", ", weights.Select(w => $"{w.Key} ({Percent(w.Value)})"));
    }

    private static string Percent(double share) => (share * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static Dictionary<string, double>? Weights(string[] pairs)
    {
        if (pairs.Length == 0) return null;
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0 || !double.TryParse(pair[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var share) || share is < 0 or > 1)
            {
                throw new UsageException($"--weight '{pair}' is not VERSION=SHARE with a share from 0 to 1: write e.g. --weight 2=0.1 for 10% to version 2.");
            }
            weights[pair[..eq]] = share;
        }
        return weights;
    }
}
