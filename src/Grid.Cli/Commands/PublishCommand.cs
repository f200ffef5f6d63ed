using System.CommandLine;
using Grid.Cli.Output;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>`grid publish NAME`: freezes $LATEST as a new version (the same version again if nothing changed).</summary>
public static class PublishCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Function name" };
        var description = new Option<string?>("--description") { Description = "Version description" };
        var command = new Command("publish", "Publish $LATEST as a numbered version") { name, description };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var version = await cli.Client.PublishVersionAsync(parse.GetRequiredValue(name), parse.GetValue(description), cancellationToken);
            if (cli.Json) Terminal.WriteJson(version);
            else Terminal.Out.MarkupLine($"Published [bold]{Markup.Escape(version.FunctionName)}[/] version [bold]{Markup.Escape(version.Version)}[/] ({Markup.Escape(version.FunctionArn)})");
            return ExitCodes.Ok;
        });
        return command;
    }
}
