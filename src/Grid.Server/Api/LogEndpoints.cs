using Grid.Server.Hosting;
using Grid.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>
/// Grid's own API for invocation logs: GET /grid/2026-11-01/functions/{name}/logs?requestId=&amp;startTime=&amp;limit=
/// (SigV4-signed like the Lambda API; startTime in epoch milliseconds).
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
        var requestId = query["requestId"].ToString();
        var events = await logs.ReadAsync(caller.AccountId, name.Name, requestId.Length == 0 ? null : requestId, since, limit, http.RequestAborted);
        return ApiContext.Json(new LogEventsResponse(events), LogJsonContext.Default.LogEventsResponse);
    }
}
