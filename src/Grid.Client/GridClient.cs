using System.Net;
using Grid.Client.Internal;
using Polly;

namespace Grid.Client;

/// <summary>
/// The Grid client: every call is an HTTP request to the Lambda-compatible API of one node (or a load balancer),
/// signed with SigV4, retried on throttling, bounded by a per-attempt timeout. Thread-safe; keep one per endpoint
/// (or register it with <see cref="GridClientServiceCollectionExtensions.AddGridClient"/>).
/// </summary>
public sealed partial class GridClient : IGridClient, IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly GridClientOptions _options;
    private readonly SigV4Signer _signer;
    private readonly ResiliencePipeline _retry;
    private readonly Uri _endpoint;

    /// <summary>A client with its own pooled connections (SocketsHttpHandler).</summary>
    public GridClient(GridClientOptions options)
        : this(new HttpClient(CreateHandler(), disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan }, options, ownsHttp: true)
    {
    }

    /// <summary>A client over an HttpClient you own (e.g. with your own handlers). Its Timeout should be infinite: the client applies <see cref="GridClientOptions.Timeout"/>.</summary>
    public GridClient(HttpClient http, GridClientOptions options)
        : this(http, options, ownsHttp: false)
    {
    }

    internal GridClient(HttpClient http, GridClientOptions options, ResiliencePipeline retry)
        : this(http, options, ownsHttp: false, retry)
    {
    }

    private GridClient(HttpClient http, GridClientOptions options, bool ownsHttp, ResiliencePipeline? retry = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = http;
        _ownsHttp = ownsHttp;
        _options = options;
        _signer = SignerCache.For(options);
        _retry = retry ?? RetryPipeline.Create(options);
        var endpoint = options.Endpoint.ToString();
        _endpoint = new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/");
    }

    public GridClientOptions Options => _options;

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    /// <summary>Pooled keep-alive connections, recycled every few minutes so DNS changes (e.g. a load balancer) are seen.</summary>
    internal static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        AutomaticDecompression = DecompressionMethods.None,
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        EnableMultipleHttp2Connections = true,
    };

    /// <summary>
    /// Sends the call through the retry pipeline; each attempt gets a fresh signed request and its own timeout;
    /// <paramref name="read"/> turns a 2xx answer into the result (it runs under the same timeout).
    /// </summary>
    private async Task<T> SendAsync<T>(ApiCall call, Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var attempt = 0;
        return await _retry.ExecuteAsync(async ct =>
        {
            attempt++;
            var timeout = call.Timeout ?? _options.Timeout;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            try
            {
                using var response = await SendOnceAsync(call, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                if (!ErrorMapper.IsSuccess(response.StatusCode))
                {
                    throw await ErrorMapper.FromResponseAsync(response, call, _endpoint, _signer.AccessKeyId, attempt, deadline.Token);
                }
                return await read(response, deadline.Token);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested && (deadline.IsCancellationRequested || e.InnerException is TimeoutException))
            {
                throw Timeout(call, timeout, e);
            }
        }, cancellationToken);
    }

    /// <summary>One signed request (no retry, no timeout of its own); transport failures become a GridException naming the endpoint.</summary>
    private async Task<HttpResponseMessage> SendOnceAsync(ApiCall call, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var (uri, canonical) = call.Target ?? Resolve(call.PathAndQuery);
        using var request = new HttpRequestMessage(call.Method, uri);
        if (call.Method != HttpMethod.Get && call.Method != HttpMethod.Delete)
        {
            var content = call.ContentFactory?.Invoke(call.Body) ?? new ReadOnlyMemoryContent(call.Body);
            content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            request.Content = content;
        }
        if (call.Headers is { } headers)
        {
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        }
        _signer.Sign(request, canonical, call.Body.Span);
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw ErrorMapper.Unreachable(call, _endpoint, e);
        }
    }

    private TimeoutException Timeout(ApiCall call, TimeSpan timeout, Exception inner) =>
        new($"{call.Operation} did not complete within {timeout} (GridClientOptions.Timeout or InvokeOptions.Timeout) at {_endpoint}. " +
            (call.Headers is null
                ? "Raise the timeout if the node is slow, or check that it is healthy."
                : "The function may still be running on the node: raise the timeout, or use InvokeEventAsync for long work."), inner);

    private (Uri Uri, CanonicalTarget Canonical) Resolve(string pathAndQuery)
    {
        var uri = new Uri(_endpoint, pathAndQuery.TrimStart('/'));
        return (uri, CanonicalTarget.For(uri));
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static string FunctionPath(string function) => "/2015-03-31/functions/" + Escape(RequireName(function));

    private static string RequireName(string function) =>
        string.IsNullOrWhiteSpace(function) ? throw new ArgumentException("A function name is required.", nameof(function)) : function;

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Escape(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }
}
