using System.CommandLine;
using Grid.Cli.Output;
using Grid.Client;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>`grid functions list | show NAME | delete NAME`.</summary>
public static class FunctionsCommand
{
    public static Command Create()
    {
        var command = new Command("functions", "List, show and delete functions");
        command.Add(List());
        command.Add(Show());
        command.Add(Delete());
        return command;
    }

    private static Command List()
    {
        var list = new Command("list", "List the account's functions");
        list.Aliases.Add("ls");
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var functions = new List<FunctionInfo>();
            await foreach (var f in cli.Client.ListFunctionsAsync(cancellationToken)) functions.Add(f);
            if (cli.Json)
            {
                Terminal.WriteJson(functions);
                return ExitCodes.Ok;
            }
            if (functions.Count == 0)
            {
                Terminal.Note("No functions yet: `grid deploy PATH` creates one.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("NAME", "RUNTIME", "HANDLER", "MEMORY", "TIMEOUT", "CODE", "LAST MODIFIED");
            foreach (var f in functions.OrderBy(f => f.FunctionName, StringComparer.Ordinal))
            {
                table.AddRow(Markup.Escape(f.FunctionName), Markup.Escape(f.Runtime ?? "-"), Markup.Escape(f.Handler ?? "-"),
                    $"{f.MemorySize} MB", $"{f.Timeout} s", Units.Bytes(f.CodeSize), Markup.Escape(f.LastModified ?? "-"));
            }
            Terminal.Out.Write(table);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Show()
    {
        var name = new Argument<string>("name") { Description = "Function name or ARN" };
        var qualifier = new Option<string?>("--qualifier") { Description = "Version or alias" };
        var show = new Command("show", "Show a function's configuration") { name, qualifier };
        show.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var f = await cli.Client.GetFunctionAsync(parse.GetRequiredValue(name), parse.GetValue(qualifier), cancellationToken);
            if (cli.Json)
            {
                Terminal.WriteJson(f);
                return ExitCodes.Ok;
            }
            Terminal.KeyValues(
                ("Name", f.FunctionName),
                ("ARN", f.FunctionArn),
                ("Version", f.Version),
                ("State", f.State),
                ("Runtime", f.Runtime),
                ("Handler", f.Handler),
                ("Memory", $"{f.MemorySize} MB"),
                ("Timeout", $"{f.Timeout} s"),
                ("Code size", Units.Bytes(f.CodeSize)),
                ("SHA-256", f.CodeSha256),
                ("Last modified", f.LastModified),
                ("Description", string.IsNullOrEmpty(f.Description) ? null : f.Description),
                ("Reserved concurrency", f.ReservedConcurrency?.ToString()),
                ("Environment", f.Environment is { Count: > 0 } env ? string.Join(", ", env.Keys.Order(StringComparer.Ordinal)) : null));
            return ExitCodes.Ok;
        });
        return show;
    }

    private static Command Delete()
    {
        var name = new Argument<string>("name") { Description = "Function name or ARN" };
        var qualifier = new Option<string?>("--qualifier") { Description = "Delete only this version" };
        var delete = new Command("delete", "Delete a function (or one version of it)") { name, qualifier };
        delete.Aliases.Add("rm");
        delete.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var function = parse.GetRequiredValue(name);
            var version = parse.GetValue(qualifier);
            await cli.Client.DeleteFunctionAsync(function, version, cancellationToken);
            if (cli.Json) Terminal.WriteJson(new { deleted = function, qualifier = version });
            else Terminal.Out.MarkupLine(version is null ? $"Deleted function [bold]{Markup.Escape(function)}[/]" : $"Deleted version {Markup.Escape(version)} of [bold]{Markup.Escape(function)}[/]");
            return ExitCodes.Ok;
        });
        return delete;
    }
}
