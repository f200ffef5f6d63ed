using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Grid.Tests.Infrastructure;

/// <summary>
/// A private, throwaway PostgreSQL server started from the locally installed binaries
/// (/usr/lib/postgresql/&lt;version&gt;/bin). Each instance owns a temporary data directory and a free
/// loopback TCP port, and is stopped and deleted on dispose.
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root. When the test process runs as root, the data directory is given
/// to the <c>postgres</c> OS user and <c>initdb</c> / <c>pg_ctl</c> run through
/// <c>runuser -u postgres --</c>. Otherwise they run directly as the current user.
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string BinariesRoot = "/usr/lib/postgresql";
    private const string OsUser = "postgres";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly string _binDirectory;
    private readonly string _rootDirectory;
    private readonly string _dataDirectory;
    private readonly bool _runAsPostgresUser;
    private readonly List<string> _issuedConnectionStrings = [];
    private readonly Lock _gate = new();
    private int _disposed;

    private PostgresServer(string binDirectory, string rootDirectory, bool runAsPostgresUser, int port)
    {
        _binDirectory = binDirectory;
        _rootDirectory = rootDirectory;
        _dataDirectory = Path.Combine(rootDirectory, "data");
        _runAsPostgresUser = runAsPostgresUser;
        Port = port;
        ConnectionString = string.Empty;
    }

    /// <summary>The TCP port the server listens on (127.0.0.1 only).</summary>
    public int Port { get; private set; }

    /// <summary>Connection string to the server's <c>postgres</c> database as the <c>postgres</c> superuser.</summary>
    public string ConnectionString { get; private set; }

    /// <summary>Initialises a fresh cluster in a temporary directory and starts it.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var binDirectory = FindBinDirectory();
        var runAsPostgresUser = IsRoot();

        var rootDirectory = Path.Combine(Path.GetTempPath(), "grid-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(rootDirectory);

        var server = new PostgresServer(binDirectory, rootDirectory, runAsPostgresUser, port: 0);
        try
        {
            await server.InitializeAndStartAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            try
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Keep the original start-up failure; it is the useful one.
            }

            throw;
        }
    }

    /// <summary>Creates a new, empty UTF-8 database and returns a connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        var quoted = "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        var connection = new NpgsqlConnection(ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = $"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8'";
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return RememberForPoolCleanup(BuildConnectionString(name));
    }

    /// <summary>Stops the server immediately and deletes its data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        string[] issued;
        lock (_gate)
        {
            issued = [.. _issuedConnectionStrings];
        }

        foreach (var connectionString in issued)
        {
            // Drop idle pooled connections so nothing tries to reuse sockets to a dead server.
            using var connection = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(connection);
        }

        Exception? stopFailure = null;
        if (File.Exists(Path.Combine(_dataDirectory, "postmaster.pid")))
        {
            var stop = await RunPostgresToolAsync("pg_ctl", ["-D", _dataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None)
                .ConfigureAwait(false);
            if (stop.ExitCode != 0)
            {
                stopFailure = new InvalidOperationException("Failed to stop the test PostgreSQL server." + Environment.NewLine + stop.Describe());
            }
        }

        try
        {
            if (Directory.Exists(_rootDirectory))
            {
                Directory.Delete(_rootDirectory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stopFailure ??= new InvalidOperationException($"Failed to delete the test PostgreSQL directory '{_rootDirectory}'.", ex);
        }

        if (stopFailure is not null)
        {
            throw stopFailure;
        }
    }

    private async Task InitializeAndStartAsync(CancellationToken cancellationToken)
    {
        if (_runAsPostgresUser)
        {
            var chown = await RunProcessAsync("chown", [$"{OsUser}:{OsUser}", _rootDirectory], cancellationToken).ConfigureAwait(false);
            chown.ThrowIfFailed($"Could not give '{_rootDirectory}' to the '{OsUser}' OS user (tests run as root, and PostgreSQL refuses root).");
        }

        var initdb = await RunPostgresToolAsync(
                "initdb",
                ["-D", _dataDirectory, "-A", "trust", "-U", OsUser, "-E", "UTF8", "--no-locale", "--no-sync"],
                cancellationToken)
            .ConfigureAwait(false);
        initdb.ThrowIfFailed("initdb failed.");

        // Another process may grab the port between probing and binding; retry with a new port then.
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            Port = GetFreeTcpPort();
            ConnectionString = BuildConnectionString("postgres");

            var logFile = Path.Combine(_rootDirectory, $"server-{attempt}.log");
            var serverOptions = string.Join(
                ' ',
                "-p", Port.ToString(CultureInfo.InvariantCulture),
                "-k", _rootDirectory,
                "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off",
                "-c", "max_connections=200");

            // "-l" matters: without a log file the postmaster inherits our stdout/stderr pipes and the
            // process runner would wait for EOF forever.
            var start = await RunPostgresToolAsync(
                    "pg_ctl",
                    ["-D", _dataDirectory, "-l", logFile, "-w", "-t", ((int)ReadyTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "-o", serverOptions, "start"],
                    cancellationToken)
                .ConfigureAwait(false);

            if (start.ExitCode == 0)
            {
                break;
            }

            var serverLog = ReadFileOrEmpty(logFile);
            if (attempt < attempts && serverLog.Contains("could not bind", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            throw new InvalidOperationException(
                "pg_ctl start failed." + Environment.NewLine + start.Describe() + Environment.NewLine + "server log:" + Environment.NewLine + serverLog);
        }

        RememberForPoolCleanup(ConnectionString);
        await WaitUntilAcceptingConnectionsAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WaitUntilAcceptingConnectionsAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false, Timeout = 5 };
        while (true)
        {
            try
            {
                var connection = new NpgsqlConnection(builder.ConnectionString);
                await using (connection.ConfigureAwait(false))
                {
                    await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception ex) when ((ex is NpgsqlException or SocketException or TimeoutException) && deadline.Elapsed < ReadyTimeout)
            {
                // pg_ctl -w already waited for readiness; this only covers a short race right after start.
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private string BuildConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = OsUser,
            Database = database,
            Pooling = true,
        }.ConnectionString;

    private string RememberForPoolCleanup(string connectionString)
    {
        lock (_gate)
        {
            _issuedConnectionStrings.Add(connectionString);
        }

        return connectionString;
    }

    private Task<ToolResult> RunPostgresToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var executable = Path.Combine(_binDirectory, tool);
        if (!_runAsPostgresUser)
        {
            return RunProcessAsync(executable, arguments, cancellationToken);
        }

        return RunProcessAsync("runuser", ["-u", OsUser, "--", executable, .. arguments], cancellationToken);
    }

    private async Task<ToolResult> RunProcessAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            // Must be readable by the postgres OS user, otherwise initdb warns about the cwd.
            WorkingDirectory = _rootDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Keep server messages in English and independent of the host locale.
        startInfo.Environment["LC_ALL"] = "C";
        startInfo.Environment["LANG"] = "C";

        var commandLine = fileName + " " + string.Join(' ', arguments);
        using var process = new Process { StartInfo = startInfo };
        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException($"Could not start '{commandLine}'.");
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not start '{commandLine}': {ex.Message}", ex);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ToolTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new InvalidOperationException($"'{commandLine}' did not finish within {ToolTimeout.TotalSeconds:0} s.");
        }

        return new ToolResult(commandLine, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private static string FindBinDirectory()
    {
        if (!Directory.Exists(BinariesRoot))
        {
            throw new InvalidOperationException(
                $"PostgreSQL binaries not found: '{BinariesRoot}' does not exist. Install the 'postgresql' package.");
        }

        var candidates = Directory.GetDirectories(BinariesRoot)
            .Select(dir => (Dir: dir, Version: ParseVersion(Path.GetFileName(dir))))
            .Where(c => c.Version is not null
                        && File.Exists(Path.Combine(c.Dir, "bin", "initdb"))
                        && File.Exists(Path.Combine(c.Dir, "bin", "pg_ctl")))
            .OrderByDescending(c => c.Version)
            .ToList();

        if (candidates.Count == 0)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL installation with bin/initdb and bin/pg_ctl found under '{BinariesRoot}'.");
        }

        return Path.Combine(candidates[0].Dir, "bin");
    }

    private static Version? ParseVersion(string name)
    {
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var major))
        {
            return new Version(major, 0);
        }

        return Version.TryParse(name, out var version) ? version : null;
    }

    private static bool IsRoot() => string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    private static int GetFreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string ReadFileOrEmpty(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"<could not read {path}: {ex.Message}>";
        }
    }

    private sealed record ToolResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
    {
        public void ThrowIfFailed(string message)
        {
            if (ExitCode != 0)
            {
                throw new InvalidOperationException(message + Environment.NewLine + Describe());
            }
        }

        public string Describe()
        {
            var text = new StringBuilder();
            text.Append("command: ").AppendLine(CommandLine);
            text.Append("exit code: ").AppendLine(ExitCode.ToString(CultureInfo.InvariantCulture));
            text.AppendLine("stdout:").AppendLine(StandardOutput.TrimEnd());
            text.AppendLine("stderr:").Append(StandardError.TrimEnd());
            return text.ToString();
        }
    }
}
