using System.CommandLine;
using Grid.Cli.Output;
using Spectre.Console;

namespace Grid.Cli.Commands;

/// <summary>`grid concurrency NAME [--reserved N | --clear]`: a function's reserved concurrency, shown when no flag is given.</summary>
public static class ConcurrencyCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Function name" };
        var reserved = new Option<int?>("--reserved") { Description = "Reserve N concurrent executions (at most N run at once; 0 stops the function)" };
        var clear = new Option<bool>("--clear") { Description = "Remove the reservation (share the account's unreserved pool)" };
        var command = new Command("concurrency", "Show or set a function's reserved concurrency") { name, reserved, clear };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cli = new Invocation(parse);
            var function = parse.GetRequiredValue(name);
            var value = parse.GetValue(reserved);
            var remove = parse.GetValue(clear);
            if (value is not null && remove) throw new UsageException("Give either --reserved N or --clear, not both.");
            if (value < 0) throw new UsageException("--reserved must be 0 or more.");
            if (value is { } n) await cli.Client.SetReservedConcurrencyAsync(function, n, cancellationToken);
            if (remove) await cli.Client.DeleteReservedConcurrencyAsync(function, cancellationToken);
            var current = value ?? (remove ? null : await cli.Client.GetReservedConcurrencyAsync(function, cancellationToken));
            var account = await cli.Client.GetAccountSettingsAsync(cancellationToken);
            if (cli.Json)
            {
                Terminal.WriteJson(new
                {
                    functionName = function, reservedConcurrentExecutions = current,
                    accountConcurrentExecutions = account.ConcurrentExecutions, unreservedConcurrentExecutions = account.UnreservedConcurrentExecutions,
                });
                return ExitCodes.Ok;
            }
            var what = current is null ? "no reservation (uses the account's unreserved pool)" : $"reserved concurrency [bold]{current}[/]";
            Terminal.Out.MarkupLine($"{Markup.Escape(function)}: {what}");
            Terminal.Out.MarkupLine($"[grey]Account: {account.ConcurrentExecutions} concurrent executions, {account.UnreservedConcurrentExecutions} unreserved[/]");
            return ExitCodes.Ok;
        });
        return command;
    }
}
