using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Grid.Server.Execution.RuntimeApi;

/// <summary>
/// The Runtime API needs one environment's identity per connection. Each environment gets its own loopback port;
/// connections accepted there are handed to the node's Kestrel (so HTTP/1.1, chunking and trailers are Kestrel's),
/// and the local port tells the handlers which environment is speaking.
/// </summary>
public sealed class RuntimeApiTransport : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly Channel<ConnectionContext> _accepted = Channel.CreateUnbounded<ConnectionContext>();
    private readonly ConcurrentDictionary<int, HttpRuntimeChannel> _byPort = new();
    private readonly SocketConnectionContextFactory _contexts;

    public RuntimeApiTransport(ILoggerFactory loggers) =>
        _contexts = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), loggers.CreateLogger<RuntimeApiTransport>());

    public bool CanBind(EndPoint endpoint) => endpoint is RuntimeApiEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(new Listener(endpoint, _accepted));

    public HttpRuntimeChannel? Find(int localPort) => _byPort.TryGetValue(localPort, out var channel) ? channel : null;

    public bool IsRuntimePort(int localPort) => _byPort.ContainsKey(localPort);

    /// <summary>Opens a private listener for one environment; its address goes into AWS_LAMBDA_RUNTIME_API.</summary>
    public RuntimeApiListener Open(HttpRuntimeChannel channel)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(16);
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        _byPort[port] = channel;
        var listener = new RuntimeApiListener(socket, port, () => _byPort.TryRemove(port, out _));
        _ = AcceptLoopAsync(socket);
        return listener;
    }

    private async Task AcceptLoopAsync(Socket listening)
    {
        try
        {
            while (true)
            {
                var socket = await listening.AcceptAsync();
                socket.NoDelay = true;
                await _accepted.Writer.WriteAsync(_contexts.Create(socket));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or ChannelClosedException)
        {
            // The environment ended and closed its listener.
        }
    }

    private sealed class Listener(EndPoint endpoint, Channel<ConnectionContext> accepted) : IConnectionListener
    {
        public EndPoint EndPoint { get; } = endpoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await accepted.Reader.ReadAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                return null;
            }
        }

        // Kestrel stops by unbinding, then waits for AcceptAsync to return null: end the channel so it does.
        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            accepted.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => UnbindAsync();
    }
}

/// <summary>The placeholder endpoint Kestrel binds so that it accepts the Runtime API's connections.</summary>
public sealed class RuntimeApiEndPoint : EndPoint
{
    public override string ToString() => "grid-runtime-api";
}

/// <summary>One environment's listening socket.</summary>
public sealed class RuntimeApiListener(Socket socket, int port, Action onClose) : IDisposable
{
    public int Port { get; } = port;
    public string Address => $"127.0.0.1:{Port}";

    public void Dispose()
    {
        onClose();
        socket.Dispose();
    }
}
