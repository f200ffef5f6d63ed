using Spectre.Console;
using System.CommandLine;
using System.Net.Sockets;
using Grid.Cli.Commands;
using Grid.Cli.Output;
using Grid.Client;

namespace Grid.Cli;

/// <summary>The `grid` command tree, and the one place where failures become an exit code and one line on stderr.</summary>
public static class GridCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("grid: deploy, invoke and watch functions on a Grid node (self-hosted, Lambda-compatible).");
        GlobalOptions.AddTo(root);
        root.Add(ConfigureCommand.Create());
        root.Add(ProfilesCommand.Create());
        root.Add(DevCommand.Create());
        root.Add(DeployCommand.Create());
        root.Add(InvokeCommand.Create());
        root.Add(LogsCommand.Create());
        root.Add(FunctionsCommand.Create());
        root.Add(PublishCommand.Create());
        root.Add(AliasCommand.Create());
        root.Add(ConcurrencyCommand.Create());
        root.Add(UsageCommand.Create());
        root.Add(ScheduleCommand.Create());
        root.Add(TopCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        var verbose = parse.GetValue(GlobalOptions.Verbose) || Environment.GetEnvironmentVariable("GRID_DEBUG") is { Length: > 0 } and not "0";
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Terminal.Fail(error.Message);
            Terminal.Note($"[grey]Run `{Spectre.Console.Markup.Escape(CommandPath(parse.CommandResult))} --help` for usage.[/]");
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                // Ctrl-C / SIGTERM cancel the command; `grid dev` then needs time to stop its node gracefully.
                ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
            });
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e);
            Terminal.Fail(message);
            if (verbose) Terminal.Error.WriteLine(e.ToString());
            return code;
        }
    }

    /// <summary>"grid functions list" for the command that was parsed.</summary>
    private static string CommandPath(System.CommandLine.Parsing.CommandResult command)
    {
        var names = new List<string>();
        for (var r = command; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, r.Parent is null ? "grid" : r.Command.Name);
        }
        return string.Join(' ', names);
    }

    /// <summary>Exit code and one line saying what went wrong and what to do next.</summary>
    public static (int Code, string Message) Describe(Exception e) => e switch
    {
        UsageException => (ExitCodes.Usage, e.Message),
        GridThrottledException t => (ExitCodes.Throttled,
            $"Grid throttled the call ({t.Reason ?? t.ErrorType}) after {t.Attempts} attempts: retry later, or give the function more concurrency (`grid concurrency NAME --reserved N`)."),
        GridException g when g.StatusCode == 403 || g.ErrorType is "UnrecognizedClientException" or "InvalidSignatureException" or "AccessDeniedException" =>
            (ExitCodes.GridError, $"{g.Message} Check the profile's access key and secret (`grid configure`)."),
        GridException { InnerException: HttpRequestException } g =>
            (ExitCodes.GridError, $"{g.Message} `grid dev` starts a local node; `grid configure` changes the endpoint."),
        GridException g => (ExitCodes.GridError, g.Message),
        HttpRequestException h => (ExitCodes.GridError, Unreachable(h)),
        TimeoutException => (ExitCodes.GridError, e.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "Interrupted."),
        _ => (ExitCodes.GridError, $"{e.GetType().Name}: {e.Message} (run with --verbose for details)"),
    };

    private static string Unreachable(HttpRequestException e)
    {
        var refused = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
        return refused
            ? $"Could not reach the Grid node ({e.Message}): is it running? Start a local one with `grid dev`, or point the profile elsewhere with `grid configure`."
            : $"The call to the Grid node failed: {e.Message}. Check the endpoint (`grid profiles`) and that the node is up.";
    }
}
