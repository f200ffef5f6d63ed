using Grid.Server.Async;
using Grid.Server.Execution;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>
/// Put/Update/Get/List/DeleteFunctionEventInvokeConfig (API 2019-09-25): retries, maximum event age and destinations of
/// a qualifier's asynchronous invocations. Destinations are Lambda functions of the same account; Lambda's SQS, SNS,
/// EventBridge and S3 destinations are refused.
/// </summary>
public static class EventInvokeConfigEndpoints
{
    private const string Path = "/2019-09-25/functions/{functionName}/event-invoke-config";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPut(Path, Put);
        app.MapPost(Path, Update);
        app.MapGet(Path, Get);
        app.MapDelete(Path, Delete);
        app.MapGet(Path + "/list", List);
    }

    private static async Task<IResult> Put(string functionName, HttpContext http, EventInvokeConfigStore store, FunctionInvoker invoker,
        IOptions<GridOptions> options, TimeProvider time)
    {
        var (account, name, qualifier) = await ExistingAsync(functionName, http, invoker, options);
        var request = http.ReadJson(GridJsonContext.Default.EventInvokeConfigRequest);
        var config = new FunctionEventInvokeConfig();
        Apply(config, request, account, options.Value.Region);
        return await SaveAsync(store, account, name, qualifier, config, options, time);
    }

    private static async Task<IResult> Update(string functionName, HttpContext http, EventInvokeConfigStore store, FunctionInvoker invoker,
        IOptions<GridOptions> options, TimeProvider time)
    {
        var (account, name, qualifier) = await ExistingAsync(functionName, http, invoker, options);
        var request = http.ReadJson(GridJsonContext.Default.EventInvokeConfigRequest);
        var config = await store.GetAsync(account, name, qualifier) ?? throw NoConfig(options, account, name, qualifier);
        Apply(config, request, account, options.Value.Region);
        return await SaveAsync(store, account, name, qualifier, config, options, time);
    }

    private static async Task<IResult> Get(string functionName, HttpContext http, EventInvokeConfigStore store, FunctionInvoker invoker,
        IOptions<GridOptions> options)
    {
        var (account, name, qualifier) = await ExistingAsync(functionName, http, invoker, options);
        var config = await store.GetAsync(account, name, qualifier) ?? throw NoConfig(options, account, name, qualifier);
        return ApiContext.Json(config, GridJsonContext.Default.FunctionEventInvokeConfig);
    }

    private static async Task<IResult> Delete(string functionName, HttpContext http, EventInvokeConfigStore store, FunctionInvoker invoker,
        IOptions<GridOptions> options)
    {
        var (account, name, qualifier) = await ExistingAsync(functionName, http, invoker, options);
        if (!await store.DeleteAsync(account, name, qualifier)) throw NoConfig(options, account, name, qualifier);
        return Results.StatusCode(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> List(string functionName, HttpContext http, EventInvokeConfigStore store, FunctionInvoker invoker,
        IOptions<GridOptions> options)
    {
        var account = http.Caller().AccountId;
        var name = FunctionName.Unqualified(functionName, account, options.Value.Region);
        await invoker.ResolveAsync(account, name, null); // 404 for a missing function
        var query = http.Request.Query;
        var configs = (await store.ListAsync(account, name)).Select(c => c.Config).ToList();
        var (page, next) = Paging.Page(configs, c => c.FunctionArn, query["Marker"], Paging.MaxItems(query["MaxItems"]));
        return ApiContext.Json(new ListFunctionEventInvokeConfigsResponse { FunctionEventInvokeConfigs = page, NextMarker = next },
            GridJsonContext.Default.ListFunctionEventInvokeConfigsResponse);
    }

    /// <summary>The function and qualifier ($LATEST when none); 404 when either does not exist.</summary>
    private static async Task<(string Account, string Name, string Qualifier)> ExistingAsync(string functionName, HttpContext http,
        FunctionInvoker invoker, IOptions<GridOptions> options)
    {
        var account = http.Caller().AccountId;
        var raw = http.Request.Query["Qualifier"].ToString();
        if (raw.Length > 128) throw Errors.Validation(raw, "qualifier", "Member must have length less than or equal to 128");
        var name = FunctionName.Parse(functionName, account, options.Value.Region, raw.Length == 0 ? null : raw, 140);
        await invoker.ResolveAsync(account, name.Name, name.Qualifier);
        return (account, name.Name, name.Qualifier ?? "$LATEST");
    }

    private static async Task<IResult> SaveAsync(EventInvokeConfigStore store, string account, string name, string qualifier,
        FunctionEventInvokeConfig config, IOptions<GridOptions> options, TimeProvider time)
    {
        if (config.MaximumRetryAttempts is null && config.MaximumEventAgeInSeconds is null
            && DestinationRecord.OnSuccess(config) is null && DestinationRecord.OnFailure(config) is null)
        {
            throw Errors.InvalidParameter("You must specify at least one of error handling or destination setting.");
        }
        config.FunctionArn = Arns.Function(options.Value.Region, account, name, qualifier);
        config.LastModified = Math.Round(time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0, 3);
        await store.PutAsync(account, name, qualifier, config);
        return ApiContext.Json(config, GridJsonContext.Default.FunctionEventInvokeConfig);
    }

    /// <summary>Checks the request and copies the fields it gives onto <paramref name="config"/> (Put starts from an empty one).</summary>
    private static void Apply(FunctionEventInvokeConfig config, EventInvokeConfigRequest request, string account, string region)
    {
        if (request.MaximumRetryAttempts is { } retries)
        {
            if (retries < 0) throw Errors.Validation($"{retries}", "maximumRetryAttempts", "Member must have value greater than or equal to 0");
            if (retries > 2) throw Errors.Validation($"{retries}", "maximumRetryAttempts", "Member must have value less than or equal to 2");
            config.MaximumRetryAttempts = retries;
        }
        if (request.MaximumEventAgeInSeconds is { } age)
        {
            if (age < 60) throw Errors.Validation($"{age}", "maximumEventAgeInSeconds", "Member must have value greater than or equal to 60");
            if (age > 21600) throw Errors.Validation($"{age}", "maximumEventAgeInSeconds", "Member must have value less than or equal to 21600");
            config.MaximumEventAgeInSeconds = age;
        }
        if (request.DestinationConfig is { } destinations)
        {
            if (destinations.OnSuccess is { } onSuccess)
            {
                config.DestinationConfig.OnSuccess = new EventDestination { Destination = Destination(onSuccess.Destination, "onSuccess", account, region) };
            }
            if (destinations.OnFailure is { } onFailure)
            {
                config.DestinationConfig.OnFailure = new EventDestination { Destination = Destination(onFailure.Destination, "onFailure", account, region) };
            }
        }
    }

    private static string? Destination(string? arn, string side, string account, string region)
    {
        if (string.IsNullOrEmpty(arn)) return null;
        var field = $"destinationConfig.{side}.destination";
        if (arn.Length > 350) throw Errors.Validation(arn, field, "Member must have length less than or equal to 350");
        if (!arn.StartsWith("arn:", StringComparison.Ordinal) || arn.Split(':').Length < 6)
        {
            throw Errors.Validation(arn, field,
                @"Member must satisfy regular expression pattern: ^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)");
        }
        if (DestinationRecord.ParseFunctionArn(arn) is not { } function)
        {
            throw Errors.InvalidParameter(
                $"The destination ARN {arn} is not supported: Grid delivers async invocation records to Lambda functions only: "
                + $"give a function ARN, arn:aws:lambda:{region}:{account}:function:<name>.");
        }
        var parts = arn.Split(':');
        if (function.Account != account || parts[3] != region)
        {
            throw Errors.InvalidParameter($"The destination ARN {arn} must name a function of account {account} in region {region}.");
        }
        return arn;
    }

    private static LambdaException NoConfig(IOptions<GridOptions> options, string account, string name, string qualifier) =>
        Errors.ResourceNotFound($"The function {Arns.Function(options.Value.Region, account, name, qualifier)} doesn't have an EventInvokeConfig");
}
