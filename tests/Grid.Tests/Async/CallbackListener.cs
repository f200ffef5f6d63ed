using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Async;

/// <summary>
/// An HTTP listener on 127.0.0.1 that the test functions post their evidence to (functions run in a sandbox with a
/// read-only filesystem, but share the host's network): each report is {kind, function, requestId, event}.
/// </summary>
public sealed class CallbackListener : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Report> _reports = new();
    private readonly Task _loop;

    public sealed record Report(string Kind, string Function, string RequestId, JsonNode? Event, TimeSpan At);

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public CallbackListener()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/";

    public IReadOnlyList<Report> Reports => _reports.ToArray();

    public IReadOnlyList<Report> For(string function) => _reports.Where(r => r.Function == function).ToList();

    /// <summary>Waits until <paramref name="done"/> holds for the reports of <paramref name="function"/>, or fails with what arrived.</summary>
    public async Task<IReadOnlyList<Report>> WaitAsync(string function, Func<IReadOnlyList<Report>, bool> done, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var reports = For(function);
            if (done(reports)) return reports;
            if (deadline.Elapsed > timeout)
            {
                throw new Xunit.Sdk.XunitException($"timed out waiting for reports of {function}; got {reports.Count}:\n"
                    + string.Join("\n", reports.Select(r => $"{r.At} {r.Kind} {r.RequestId} {r.Event?.ToJsonString()}")));
            }
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
            _ = Task.Run(async () =>
            {
                try
                {
                    using var reader = new StreamReader(context.Request.InputStream);
                    var body = JsonNode.Parse(await reader.ReadToEndAsync())!;
                    _reports.Enqueue(new Report((string)body["kind"]!, (string)body["function"]!, (string)body["requestId"]!, body["event"], _clock.Elapsed));
                    context.Response.StatusCode = 200;
                }
                catch (Exception)
                {
                    context.Response.StatusCode = 400;
                }
                context.Response.Close();
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try { await _loop; }
        catch (Exception) { }
    }
}
