using System.Text.Json.Serialization;
using Grid.Server.Control;
using Grid.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>Reserved concurrency (Put/Get/DeleteFunctionConcurrency): a function's guaranteed and maximum concurrent executions.</summary>
public static class ConcurrencyEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPut("/2017-10-31/functions/{functionName}/concurrency", Put);
        app.MapGet("/2019-09-30/functions/{functionName}/concurrency", Get);
        app.MapDelete("/2017-10-31/functions/{functionName}/concurrency", Delete);
    }

    private static async Task<IResult> Put(string functionName, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options)
    {
        var (account, name) = await ExistingAsync(functionName, http, grains, options);
        var request = http.ReadJson(ConcurrencyJsonContext.Default.Concurrency);
        if (request.ReservedConcurrentExecutions is not { } reserved)
        {
            throw Errors.Validation("null", "reservedConcurrentExecutions", "Member must not be null");
        }
        if (reserved < 0) throw Errors.Validation(reserved.ToString(), "reservedConcurrentExecutions", "Member must have value greater than or equal to 0");
        var set = await grains.GetGrain<IConcurrencyGrain>(account).SetReserved(name, reserved);
        return ApiContext.Json(new Concurrency { ReservedConcurrentExecutions = set }, ConcurrencyJsonContext.Default.Concurrency);
    }

    private static async Task<IResult> Get(string functionName, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options)
    {
        var (account, name) = await ExistingAsync(functionName, http, grains, options);
        var reserved = await grains.GetGrain<IConcurrencyGrain>(account).Reserved(name);
        return ApiContext.Json(new Concurrency { ReservedConcurrentExecutions = reserved }, ConcurrencyJsonContext.Default.Concurrency);
    }

    private static async Task<IResult> Delete(string functionName, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options)
    {
        var (account, name) = await ExistingAsync(functionName, http, grains, options);
        await grains.GetGrain<IConcurrencyGrain>(account).SetReserved(name, null);
        return Results.StatusCode(StatusCodes.Status204NoContent);
    }

    private static async Task<(string Account, string Name)> ExistingAsync(string functionName, HttpContext http, IGrainFactory grains,
        IOptions<GridOptions> options)
    {
        var account = http.Caller().AccountId;
        var name = FunctionName.Unqualified(functionName, account, options.Value.Region);
        if (await grains.GetGrain<IFunctionGrain>(FunctionCache.Key(account, name)).Get() is null)
        {
            throw Errors.FunctionNotFound(Arns.Function(options.Value.Region, account, name));
        }
        return (account, name);
    }
}

public sealed class Concurrency
{
    public int? ReservedConcurrentExecutions { get; set; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Concurrency))]
public sealed partial class ConcurrencyJsonContext : JsonSerializerContext;
