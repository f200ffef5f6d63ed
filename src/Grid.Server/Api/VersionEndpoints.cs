using Grid.Server.Control;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>Function versions (Lambda API 2015-03-31): PublishVersion and ListVersionsByFunction.</summary>
public static class VersionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/2015-03-31/functions/{functionName}/versions", Publish);
        app.MapGet("/2015-03-31/functions/{functionName}/versions", List);
    }

    private static async Task<IResult> Publish(string functionName, HttpContext http, IGrainFactory grains, FunctionCache cache,
        IOptions<GridOptions> options)
    {
        var caller = http.Caller();
        var name = FunctionName.Unqualified(functionName, caller.AccountId, options.Value.Region);
        var request = http.ReadJson(GridJsonContext.Default.PublishVersionRequest);
        FunctionValidator.Description(request.Description);
        var version = await grains.GetGrain<IFunctionGrain>(FunctionCache.Key(caller.AccountId, name))
            .Publish(request.CodeSha256, request.Description, request.RevisionId);
        cache.Invalidate(caller.AccountId, name);
        return ApiContext.Json(version.Config, GridJsonContext.Default.FunctionConfiguration, StatusCodes.Status201Created);
    }

    private static async Task<IResult> List(string functionName, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options)
    {
        var caller = http.Caller();
        var name = FunctionName.Unqualified(functionName, caller.AccountId, options.Value.Region);
        var query = http.Request.Query;
        var versions = await grains.GetGrain<IFunctionGrain>(FunctionCache.Key(caller.AccountId, name)).ListVersions();
        // Sort key keeps $LATEST first, then versions in numeric order.
        var (page, next) = Paging.Page(versions, v => v.Version == "$LATEST" ? "-" : v.Version.PadLeft(10, '0'), query["Marker"],
            Paging.MaxItems(query["MaxItems"], 10000));
        return ApiContext.Json(new ListVersionsByFunctionResponse { Versions = page, NextMarker = next },
            GridJsonContext.Default.ListVersionsByFunctionResponse);
    }
}
