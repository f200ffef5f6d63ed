using Grid.Client;
using Grid.Tests.Async;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Schedules;

/// <summary>An SDK client per account of a fixture's node, and the reporting python function of the async tests.</summary>
public static class ScheduleClients
{
    public static GridClient For(GridNode node, Credentials credentials) => new(new GridClientOptions
    {
        Endpoint = new Uri(node.Endpoint),
        AccessKeyId = credentials.AccessKeyId,
        SecretAccessKey = credentials.SecretAccessKey,
    });

    /// <summary>Waits for the first report of each function, or fails naming what arrived.</summary>
    public static Task<IReadOnlyList<CallbackListener.Report>> FirstAsync(CallbackListener listener, string function, TimeSpan timeout) =>
        listener.WaitAsync(function, r => r.Count >= 1, timeout);
}

/// <summary>An embedded node, a callback listener and a `grid` config for its main account.</summary>
public sealed class EmbeddedScheduleFixture : EmbeddedNodeFixture
{
    public EmbeddedScheduleFixture() => Listener = Own(new CallbackListener());

    public CallbackListener Listener { get; }
    public GridClient Client { get; private set; } = null!;
    public Cli.GridCli Grid { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Client = ScheduleClients.For(Node, Main);
        Grid = new Cli.GridCli(Path.Combine(Root, "grid-config"));
        var configure = await Grid.RunAsync("configure", "--endpoint", Node.Endpoint, "--access-key-id", Main.AccessKeyId,
            "--secret-access-key", Main.SecretAccessKey, "--region", "us-east-1");
        if (configure.ExitCode != 0) throw new InvalidOperationException(configure.ToString());
    }

    /// <summary>Restarts the node on its data directory (new ports) and points the clients at it.</summary>
    public async Task RestartAsync()
    {
        var data = Node.DataDirectory;
        await Node.DisposeAsync();
        Node = await GridNode.StartAsync(data, environment: Environment);
        Client.Dispose();
        Client = ScheduleClients.For(Node, Main);
    }

    public Task<string> DeployAsync() => AsyncFunctions.DeployAsync(Cli, Listener.Url);

    public override async Task DisposeAsync()
    {
        Client?.Dispose();
        await base.DisposeAsync();
    }
}
