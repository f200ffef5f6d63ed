using System.ComponentModel.DataAnnotations;
using Grid.Server.Api.Auth;
using Grid.Server.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Grid.Server.Hosting;

/// <summary>The node's command line: run (default), migrate, keys create, reencrypt.</summary>
public static class NodeCommands
{
    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--port"] = "Grid:Port",
        ["--listen"] = "Grid:ListenAddress",
        ["--data"] = "Grid:DataDirectory",
        ["--postgres"] = "Grid:PostgresConnectionString",
        ["--silo-port"] = "Grid:SiloPort",
        ["--gateway-port"] = "Grid:GatewayPort",
        ["--advertise"] = "Grid:AdvertisedAddress",
        ["--account"] = "account",
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
        var rest = verb == "run" && (args.Length == 0 || args[0].StartsWith('-')) ? args : args[1..];
        if (verb == "keys" && rest.Length > 0 && rest[0] == "create") rest = rest[1..];
        if (verb is "-h" or "--help" or "help")
        {
            PrintHelp();
            return 0;
        }

        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(rest, Switches)
            .Build();
        var options = new GridOptions();
        configuration.GetSection(GridOptions.Section).Bind(options);
        if (!Validate(options, out var problems))
        {
            await Console.Error.WriteLineAsync("Invalid configuration:\n  " + string.Join("\n  ", problems)
                + "\nSet values in appsettings.json (section \"Grid\"), environment variables (Grid__Port=9000) or flags (--port 9000).");
            return 2;
        }

        try
        {
            return verb switch
            {
                "run" => await NodeHost.RunAsync(options, configuration, rest),
                "migrate" => await MigrateAsync(options),
                "keys" => await CreateKeyAsync(options, configuration["account"]),
                "reencrypt" => await ReencryptAsync(options),
                _ => Unknown(verb),
            };
        }
        catch (StartupException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 3;
        }
    }

    private static async Task<int> MigrateAsync(GridOptions options)
    {
        await using var database = Database.Open(options);
        var migrator = new Migrator(database);
        var applied = await migrator.MigrateAsync(script => Console.WriteLine($"applying {script}"));
        Console.WriteLine(applied.Count == 0
            ? $"Schema is up to date ({(options.IsClusterMode ? "PostgreSQL" : "SQLite")})."
            : $"Applied {applied.Count} migration(s).");
        return 0;
    }

    private static async Task<int> CreateKeyAsync(GridOptions options, string? account)
    {
        if (account is null || account.Length != 12 || !account.All(char.IsAsciiDigit))
        {
            await Console.Error.WriteLineAsync("Usage: Grid.Server keys create --account <12-digit account id> [--postgres <connection string> | --data <dir>]");
            return 2;
        }
        await using var database = Database.Open(options);
        await EnsureSchemaAsync(database, options);
        var keys = new AccessKeyStore(database, Options.Create(options), TimeProvider.System, NullLogger<AccessKeyStore>.Instance);
        var key = await keys.CreateAsync(account);
        Console.WriteLine($"AccessKeyId:     {key.AccessKeyId}\nSecretAccessKey: {key.SecretAccessKey}\nAccount:         {key.AccountId}");
        return 0;
    }

    /// <summary>Key rotation: rewrites every stored environment under the current key (retired keys still decrypt).</summary>
    private static async Task<int> ReencryptAsync(GridOptions options)
    {
        await using var database = Database.Open(options);
        await EnsureSchemaAsync(database, options);
        var cipher = EnvironmentCipher.Load(options);
        var changed = await new MetadataStore(database, cipher).ReencryptAsync();
        Console.WriteLine($"Re-encrypted the environment variables of {changed} function version(s) under key {cipher.CurrentKeyId}.");
        return 0;
    }

    /// <summary>Embedded mode migrates its private SQLite file; cluster mode never changes PostgreSQL implicitly.</summary>
    internal static async Task EnsureSchemaAsync(Database database, GridOptions options)
    {
        var migrator = new Migrator(database);
        if (!options.IsClusterMode)
        {
            await migrator.MigrateAsync();
            return;
        }
        IReadOnlyList<string> pending;
        try
        {
            pending = await migrator.PendingAsync();
        }
        catch (Exception e) when (e is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new StartupException($"Cannot reach PostgreSQL: {e.Message}\nCheck Grid:PostgresConnectionString.");
        }
        if (pending.Count > 0)
        {
            throw new StartupException(
                $"The PostgreSQL schema is not current ({pending.Count} migration(s) pending: {string.Join(", ", pending)}).\n"
                + "Run once per cluster: Grid.Server migrate --postgres \"<connection string>\"");
        }
    }

    private static bool Validate(GridOptions options, out List<string> problems)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        foreach (var key in options.AccessKeys)
        {
            Validator.TryValidateObject(key, new ValidationContext(key), results, validateAllProperties: true);
        }
        problems = results.Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}").ToList();
        return problems.Count == 0;
    }

    private static int Unknown(string verb)
    {
        Console.Error.WriteLine($"Unknown command '{verb}'.");
        PrintHelp();
        return 2;
    }

    private static void PrintHelp() => Console.WriteLine(
        """
        Grid node
          Grid.Server [run] [--port 9000] [--listen 127.0.0.1] [--data .grid] [--postgres <cs>]
          Grid.Server migrate --postgres <connection string>     prepare PostgreSQL (once per cluster)
          Grid.Server keys create --account <12 digits> [...]    add an access key
          Grid.Server reencrypt [--data <dir> | --postgres <cs>]  move environment variables to the current key (rotation)
        Every option is also configurable as Grid:<Name> in appsettings.json or Grid__<Name> in the environment.
        """);
}

/// <summary>A start-up problem with a message that says what to do; printed without a stack trace.</summary>
public sealed class StartupException(string message) : Exception(message);
