using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Grid.Tests.Infrastructure;

/// <summary>
/// An HTTP listener on 127.0.0.1 that test functions post JSON evidence to (functions run sandboxed, with a read-only
/// filesystem, but share the host's network). Each request body goes to <see cref="Receive"/>: answered 200, or 400 when
/// the body is not JSON or <see cref="Receive"/> throws. Requests are handled concurrently, so <see cref="Receive"/> must be thread-safe.
/// </summary>
public abstract class JsonPostListener : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    protected JsonPostListener()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>Takes one posted body; throwing answers 400.</summary>
    protected abstract void Receive(JsonNode body);

    /// <summary>Polls <paramref name="done"/> until it holds; past <paramref name="timeout"/> fails the test with <paramref name="failure"/>'s message.</summary>
    protected static async Task PollAsync(Func<bool> done, TimeSpan timeout, Func<string> failure)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > timeout) throw new Xunit.Sdk.XunitException(failure());
            await Task.Delay(50);
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                continue;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            Receive(await JsonNode.ParseAsync(context.Request.InputStream) ?? throw new InvalidDataException("the body is JSON null"));
            context.Response.StatusCode = 200;
        }
        catch (Exception)
        {
            context.Response.StatusCode = 400;
        }
        context.Response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try { await _loop; }
        catch (Exception) { }
    }
}
