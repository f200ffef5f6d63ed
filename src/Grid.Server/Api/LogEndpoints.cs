using System.Text.Json;
using Grid.Server.Hosting;
using Grid.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>
/// Grid's own API for invocation logs: GET /grid/2026-11-01/functions/{name}/logs?requestId=&amp;startTime=&amp;endTime=&amp;limit=
/// (SigV4-signed like the Lambda API; times in epoch milliseconds). With follow=true the answer is a stream of JSON
/// lines: the matching stored events, then new ones as they happen, for up to `timeout` seconds (default 300).
/// </summary>
public static class LogEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/grid/2026-11-01/functions/{functionName}/logs", Get);

    private static async Task<IResult> Get(string functionName, HttpContext http, InvocationLogStore logs, IOptions<GridOptions> options)
    {
        var caller = http.Caller();
        var name = FunctionName.Parse(functionName, caller.AccountId, options.Value.Region, null);
        var query = http.Request.Query;
        var limit = int.TryParse(query["limit"], out var l) ? Math.Clamp(l, 1, 10_000) : 100;
        long? since = long.TryParse(query["startTime"], out var s) ? s : null;
        long? until = long.TryParse(query["endTime"], out var u) ? u : null;
        var requestId = query["requestId"].ToString().NullIfEmpty();
        if (query["follow"] == "true")
        {
            await FollowAsync(http, logs, caller.AccountId, name.Name, requestId, since, limit, query["timeout"]);
            return Results.Empty;
        }
        var events = await logs.ReadAsync(caller.AccountId, name.Name, requestId, since, limit, http.RequestAborted);
        if (until is not null) events = events.Where(e => e.Timestamp <= until).ToList();
        return ApiContext.Json(new LogEventsResponse(events), LogJsonContext.Default.LogEventsResponse);
    }

    private static async Task FollowAsync(HttpContext http, InvocationLogStore logs, string account, string function, string? requestId,
        long? since, int limit, string? timeoutText)
    {
        var timeout = TimeSpan.FromSeconds(int.TryParse(timeoutText, out var t) ? Math.Clamp(t, 1, 3600) : 300);
        // A follow ends when the node stops, so a drain does not wait for it.
        var stopping = http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        stop.CancelAfter(timeout);
        http.Response.ContentType = "application/x-ndjson";
        var live = logs.FollowAsync(account, function, stop.Token); // subscribe before reading history: nothing falls between
        await using var newEvents = live.GetAsyncEnumerator(stop.Token);
        var pending = newEvents.MoveNextAsync();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in await logs.ReadAsync(account, function, requestId, since ?? DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), limit, stop.Token))
        {
            seen.Add(e.RequestId);
            await WriteLineAsync(http, e);
        }
        await http.Response.Body.FlushAsync(stop.Token);
        try
        {
            while (await pending)
            {
                var e = newEvents.Current;
                if ((requestId is null || e.RequestId == requestId) && !seen.Contains(e.RequestId)) await WriteLineAsync(http, e);
                pending = newEvents.MoveNextAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task WriteLineAsync(HttpContext http, LogEvent e)
    {
        await JsonSerializer.SerializeAsync(http.Response.Body, e, LogJsonContext.Default.LogEvent);
        await http.Response.Body.WriteAsync(NewLine);
        await http.Response.Body.FlushAsync();
    }

    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    private static string? NullIfEmpty(this string value) => value.Length == 0 ? null : value;
}
