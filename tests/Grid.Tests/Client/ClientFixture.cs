using Grid.Client;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Client;

/// <summary>An embedded node and a <see cref="GridClient"/> for its main account; functions are deployed through the SDK itself.</summary>
public sealed class ClientFixture : EmbeddedNodeFixture
{
    public GridClient Client { get; private set; } = null!;

    public GridClientOptions Options(Action<GridClientOptions>? configure = null)
    {
        var options = new GridClientOptions
        {
            Endpoint = new Uri(Node.Endpoint),
            AccessKeyId = Main.AccessKeyId,
            SecretAccessKey = Main.SecretAccessKey,
            ThrottleBaseDelay = TimeSpan.FromMilliseconds(20),
        };
        configure?.Invoke(options);
        return options;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Client = new GridClient(Options());
    }

    public override async Task DisposeAsync()
    {
        Client?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>Deploys a folder under Functions/ through the SDK under a unique name.</summary>
    public async Task<string> DeployAsync(string folder, string runtime, string handler, Action<DeployRequest>? configure = null)
    {
        var request = new DeployRequest
        {
            FunctionName = UniqueName(folder),
            Directory = Path.Combine(RepoPaths.Functions, folder),
            Runtime = runtime,
            Handler = handler,
        };
        configure?.Invoke(request);
        await Client.DeployAsync(request);
        return request.FunctionName;
    }

    public Task<string> DeployPythonAsync(string handler, Action<DeployRequest>? configure = null) =>
        DeployAsync("python", "python3.11", "app." + handler, configure);
}

/// <summary>Counts the requests that reach the wire, to assert how often the client retried.</summary>
public sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        return base.SendAsync(request, cancellationToken);
    }
}
