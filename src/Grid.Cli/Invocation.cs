using System.CommandLine;
using Grid.Cli.Config;
using Grid.Client;

namespace Grid.Cli;

/// <summary>What every command's action needs from the parsed command line: output mode and a client for the chosen node.</summary>
public sealed class Invocation(ParseResult parse) : IDisposable
{
    private GridClient? _client;

    public ParseResult Parse { get; } = parse;

    public bool Json => Parse.GetValue(GlobalOptions.Json);

    public string? Profile => Parse.GetValue(GlobalOptions.Profile);

    /// <summary>A client for the resolved profile; a usage error (exit 2) when nothing is configured.</summary>
    public IGridClient Client
    {
        get
        {
            _client ??= new GridClient(Connection.Resolve(Profile, Parse.GetValue(GlobalOptions.Endpoint)));
            return _client;
        }
    }

    public void Dispose() => _client?.Dispose();
}
