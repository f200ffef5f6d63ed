using System.Net;
using Grid.Server.Api;
using Grid.Server.Execution;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Microsoft.Extensions.Options;

namespace Grid.Server.Triggers.Schedules;

/// <summary>
/// Schedules under Grid's native API (SigV4 like the Lambda API): POST/GET /grid/2026-11-01/schedules and
/// GET/PUT/DELETE /grid/2026-11-01/schedules/{name}. Every change syncs the schedule's grain before answering, so the
/// reminder exists once a create returns and is gone once a delete returns.
/// </summary>
public static class ScheduleEndpoints
{
    public const string Path = "/grid/2026-11-01/schedules";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapResource(Path, "name", create: Create, list: List, get: Get, update: Update, delete: Delete);

    private static async Task<IResult> Create(HttpContext http, ScheduleStore store, FunctionInvoker invoker, IGrainFactory grains,
        IOptions<GridOptions> options, TimeProvider time)
    {
        var account = http.Caller().AccountId;
        var request = http.ReadJson(ScheduleJsonContext.Default.ScheduleRequest);
        var name = ScheduleValidation.Name(request.Name);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var schedule = await ScheduleValidation.BuildAsync(request, null, account, name, now, invoker, options.Value.Region);
        if (!await store.InsertAsync(schedule, http.RequestAborted))
        {
            throw new LambdaException(HttpStatusCode.Conflict, "ResourceConflictException",
                $"Schedule {name} already exists: change it with PUT {Path}/{name}, or delete it first.", MessageCasing.Lower);
        }
        await grains.GetGrain<IScheduleGrain>(schedule.GrainKey).Sync();
        return ApiContext.Json(Response(schedule, options.Value.Region, time), ScheduleJsonContext.Relaxed.ScheduleResponse, StatusCodes.Status201Created);
    }

    private static async Task<IResult> Update(string name, HttpContext http, ScheduleStore store, FunctionInvoker invoker, IGrainFactory grains,
        IOptions<GridOptions> options, TimeProvider time)
    {
        var account = http.Caller().AccountId;
        var request = http.ReadJson(ScheduleJsonContext.Default.ScheduleRequest);
        if (request.Name is { } bodyName && bodyName != name)
        {
            throw Errors.InvalidParameter($"The Name in the body ({bodyName}) differs from the schedule in the path ({name}); a schedule cannot be renamed.");
        }
        var existing = await store.GetAsync(account, name, http.RequestAborted) ?? throw NotFound(name);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var schedule = await ScheduleValidation.BuildAsync(request, existing, account, name, now, invoker, options.Value.Region);
        if (!await store.UpdateAsync(schedule, http.RequestAborted)) throw NotFound(name);
        await grains.GetGrain<IScheduleGrain>(schedule.GrainKey).Sync();
        var stored = await store.GetAsync(account, name, http.RequestAborted) ?? throw NotFound(name);
        return ApiContext.Json(Response(stored, options.Value.Region, time), ScheduleJsonContext.Relaxed.ScheduleResponse);
    }

    private static async Task<IResult> Get(string name, HttpContext http, ScheduleStore store, IOptions<GridOptions> options, TimeProvider time)
    {
        var schedule = await store.GetAsync(http.Caller().AccountId, name, http.RequestAborted) ?? throw NotFound(name);
        return ApiContext.Json(Response(schedule, options.Value.Region, time), ScheduleJsonContext.Relaxed.ScheduleResponse);
    }

    private static async Task<IResult> List(HttpContext http, ScheduleStore store, IOptions<GridOptions> options, TimeProvider time)
    {
        var query = http.Request.Query;
        var prefix = query["NamePrefix"].ToString();
        var schedules = (await store.ListAsync(http.Caller().AccountId, http.RequestAborted))
            .Where(s => s.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var (page, next) = Paging.Page(schedules, s => s.Name, query["Marker"], Paging.MaxItems(query["MaxItems"], 100));
        var body = new ListSchedulesResponse { Schedules = page.Select(s => Response(s, options.Value.Region, time)).ToList(), NextMarker = next };
        return ApiContext.Json(body, ScheduleJsonContext.Relaxed.ListSchedulesResponse);
    }

    private static async Task<IResult> Delete(string name, HttpContext http, ScheduleStore store, IGrainFactory grains)
    {
        var account = http.Caller().AccountId;
        if (!await store.DeleteAsync(account, name, http.RequestAborted)) throw NotFound(name);
        await grains.GetGrain<IScheduleGrain>(Schedule.Key(account, name)).Sync(); // finds no row: removes the reminder
        return Results.StatusCode(StatusCodes.Status204NoContent);
    }

    private static LambdaException NotFound(string name) =>
        Errors.ResourceNotFound($"Schedule {name} does not exist in this account (GET {Path} lists the schedules).");

    /// <summary>ISO 8601 with the zone's offset, e.g. 2026-11-26T12:00:00.000+05:30.</summary>
    private static string FormatLocal(DateTimeOffset t) =>
        t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture);

    private static ScheduleResponse Response(Schedule s, string region, TimeProvider time)
    {
        var next = s.IsEnabled ? s.ParsedExpression().Next(time.GetUtcNow()) : null;
        return new ScheduleResponse
        {
            Name = s.Name,
            Arn = s.Arn(region),
            ScheduleExpression = s.Expression,
            ScheduleExpressionTimezone = s.Timezone,
            FunctionName = s.Qualifier is null ? s.FunctionName : $"{s.FunctionName}:{s.Qualifier}",
            FunctionArn = Arns.Function(region, s.AccountId, s.FunctionName, s.Qualifier),
            Input = s.Input,
            State = s.State,
            Description = s.Description,
            CreationDate = Timestamps.FormatIso(DateTimeOffset.FromUnixTimeMilliseconds(s.Created)),
            LastModified = Timestamps.FormatIso(DateTimeOffset.FromUnixTimeMilliseconds(s.LastModified)),
            LastFireTime = s.LastFired is { } fired ? Timestamps.FormatIso(DateTimeOffset.FromUnixTimeMilliseconds(fired)) : null,
            NextFireTime = next is { } n ? Timestamps.FormatIso(n) : null,
            NextFireTimeLocal = next is { } local ? FormatLocal(TimeZoneInfo.ConvertTime(local, s.Zone())) : null,
        };
    }
}
