using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Grid.Client;

/// <summary>
/// The client's own cost per invoke, without network or server: every mode talks to an in-process handler that answers
/// a canned echo, so what remains is request building, signing, retry pipeline, timeout and payload handling.
/// Reports microseconds and bytes allocated per call (single-threaded loop; load on the machine inflates all modes alike).
/// </summary>
internal static class ClientSide
{
    private const int Calls = 20_000;

    public static async Task<JsonObject> MeasureAsync(GridClientOptions options, string function, byte[] payload, Order typedInput)
    {
        using var http = new HttpClient(new CannedEcho(payload));
        using var client = new GridClient(http, options);
        var url = new Uri(options.Endpoint, $"/2015-03-31/functions/{function}/invocations");
        var signed = PreSigned.Headers(options, url, payload);

        async Task Raw()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(payload) };
            foreach (var (name, value) in signed) request.Headers.TryAddWithoutValidation(name, value);
            using var response = await http.SendAsync(request);
            _ = await response.Content.ReadAsByteArrayAsync();
        }

        var modes = new (string Name, Func<Task> Call)[]
        {
            ("raw_httpclient_presigned", Raw),
            ("sdk_invoke_raw", async () => await client.InvokeRawAsync(function, payload)),
            ("sdk_invoke_typed", async () => await client.InvokeAsync<Order, Order>(function, typedInput)),
        };
        var result = new JsonObject { ["calls"] = Calls };
        // Tiered JIT needs tens of thousands of calls to settle; warm every mode fully before measuring any.
        foreach (var (_, call) in modes)
        {
            for (var i = 0; i < 30_000; i++) await call();
        }
        foreach (var (name, call) in modes)
        {
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < Calls; i++) await call();
            var elapsed = Stopwatch.GetElapsedTime(start);
            result[name] = new JsonObject
            {
                ["us_per_call"] = Math.Round(elapsed.TotalMilliseconds * 1000 / Calls, 2),
                ["bytes_allocated_per_call"] = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / Calls,
            };
        }
        return result;
    }

    private sealed class CannedEcho(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body), RequestMessage = request };
            response.Content.Headers.ContentLength = body.Length;
            response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000");
            response.Headers.TryAddWithoutValidation("X-Amz-Executed-Version", "$LATEST");
            return Task.FromResult(response);
        }
    }
}
