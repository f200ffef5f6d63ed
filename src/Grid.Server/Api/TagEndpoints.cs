using Grid.Server.Control;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>TagResource / ListTags / UntagResource on function ARNs (API 2017-03-31).</summary>
public static class TagEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/2017-03-31/tags/{arn}", Tag);
        app.MapGet("/2017-03-31/tags/{arn}", List);
        app.MapDelete("/2017-03-31/tags/{arn}", Untag);
    }

    private static async Task<IResult> Tag(string arn, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options)
    {
        var grain = await Resolve(arn, http, grains, options.Value.Region);
        var request = http.ReadJson(GridJsonContext.Default.TagResourceRequest);
        if (request.Tags is null || request.Tags.Count == 0) throw Errors.InvalidParameter("A list of tags is required to tag a resource.");
        FunctionValidator.Tags(request.Tags);
        await grain.UpdateTags(request.Tags, []);
        return Results.StatusCode(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> List(string arn, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options)
    {
        var grain = await Resolve(arn, http, grains, options.Value.Region);
        var record = await grain.Get() ?? throw Errors.FunctionNotFound(arn);
        return ApiContext.Json(new ListTagsResponse { Tags = record.Tags }, GridJsonContext.Default.ListTagsResponse);
    }

    private static async Task<IResult> Untag(string arn, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options)
    {
        var grain = await Resolve(arn, http, grains, options.Value.Region);
        var keys = http.Request.Query["tagKeys"].Where(k => k is not null).Select(k => k!).ToArray();
        if (keys.Length == 0) throw Errors.InvalidParameter("A list of tag keys is required to untag a resource.");
        await grain.UpdateTags([], keys);
        return Results.StatusCode(StatusCodes.Status204NoContent);
    }

    private static async Task<IFunctionGrain> Resolve(string arn, HttpContext http, IGrainFactory grains, string region)
    {
        var caller = http.Caller();
        if (!arn.StartsWith("arn:", StringComparison.Ordinal))
        {
            throw Errors.Validation(arn, "resource", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:...)");
        }
        var name = FunctionName.Parse(arn, caller.AccountId, region, null, 256);
        if (name.Qualifier is not null)
        {
            throw Errors.InvalidParameter("Tags are supported on functions only: use the unqualified function ARN.");
        }
        var grain = grains.GetGrain<IFunctionGrain>(FunctionCache.Key(caller.AccountId, name.Name));
        if (await grain.Get() is null) throw Errors.FunctionNotFound(arn);
        return grain;
    }
}
