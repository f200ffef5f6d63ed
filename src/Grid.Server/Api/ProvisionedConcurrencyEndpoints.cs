using System.Net;
using System.Text.Json.Serialization;
using Grid.Server.Control;
using Grid.Server.Execution;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Grid.Server.Storage;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>Provisioned concurrency (API 2019-09-30): pre-warmed environments for a version or alias.</summary>
public static class ProvisionedConcurrencyEndpoints
{
    private const string Path = "/2019-09-30/functions/{functionName}/provisioned-concurrency";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPut(Path, Put);
        app.MapGet(Path, GetOrList);
        app.MapDelete(Path, Delete);
    }

    private static async Task<IResult> Put(string functionName, HttpContext http, ConcurrencyStore store, FunctionInvoker invoker,
        IGrainFactory grains, IOptions<GridOptions> options, TimeProvider time)
    {
        var (account, name, qualifier) = await TargetAsync(functionName, http, invoker, options);
        var minimumUnreserved = options.Value.MinimumUnreservedConcurrency;
        var request = http.ReadJson(ProvisionedJsonContext.Default.ProvisionedRequest);
        if (request.ProvisionedConcurrentExecutions is not { } requested)
        {
            throw Errors.Validation("null", "provisionedConcurrentExecutions", "Member must not be null");
        }
        if (requested < 1) throw Errors.Validation(requested.ToString(), "provisionedConcurrentExecutions", "Member must have value greater than or equal to 1");
        var concurrency = grains.GetGrain<IConcurrencyGrain>(account);
        var (_, unreserved) = await concurrency.Limits();
        var ceiling = await concurrency.Reserved(name) ?? unreserved - minimumUnreserved;
        var others = (await store.ProvisionedAsync(account, name)).Where(p => p.Qualifier != qualifier).Sum(p => p.Requested);
        if (requested + others > ceiling)
        {
            throw Errors.InvalidParameter(
                $"Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function (or the account's unreserved concurrency): {ceiling - others} available.");
        }
        var setting = new ProvisionedSetting(account, name, qualifier, requested, Timestamps.FormatSeconds(time.GetUtcNow()));
        await store.SetProvisionedAsync(setting);
        return ApiContext.Json(await StatusAsync(setting, grains, 0), ProvisionedJsonContext.Default.ProvisionedConfig, StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> GetOrList(string functionName, HttpContext http, ConcurrencyStore store, FunctionInvoker invoker,
        IGrainFactory grains, IOptions<GridOptions> options)
    {
        if (http.Request.Query["List"] == "ALL")
        {
            var account = http.Caller().AccountId;
            var name = FunctionName.Unqualified(functionName, account, options.Value.Region);
            await invoker.ResolveAsync(account, name, null);
            var configs = new List<ProvisionedConfig>();
            foreach (var setting in await store.ProvisionedAsync(account, name))
            {
                var config = await StatusAsync(setting, grains);
                config.FunctionArn = Arns.Function(options.Value.Region, account, name, setting.Qualifier);
                configs.Add(config);
            }
            return ApiContext.Json(new ProvisionedList { ProvisionedConcurrencyConfigs = configs }, ProvisionedJsonContext.Default.ProvisionedList);
        }
        var (a, n, q) = await TargetAsync(functionName, http, invoker, options);
        var found = (await store.ProvisionedAsync(a, n)).FirstOrDefault(p => p.Qualifier == q) ?? throw NotFound();
        return ApiContext.Json(await StatusAsync(found, grains), ProvisionedJsonContext.Default.ProvisionedConfig);
    }

    private static async Task<IResult> Delete(string functionName, HttpContext http, ConcurrencyStore store, FunctionInvoker invoker,
        IOptions<GridOptions> options)
    {
        var (account, name, qualifier) = await TargetAsync(functionName, http, invoker, options);
        if (!await store.DeleteProvisionedAsync(account, name, qualifier)) throw NotFound();
        return Results.StatusCode(StatusCodes.Status204NoContent);
    }

    /// <summary>The function and its required version-or-alias qualifier (never $LATEST), which must exist.</summary>
    private static async Task<(string Account, string Name, string Qualifier)> TargetAsync(string functionName, HttpContext http,
        FunctionInvoker invoker, IOptions<GridOptions> options)
    {
        var account = http.Caller().AccountId;
        var query = http.Request.Query["Qualifier"].ToString();
        var name = FunctionName.Parse(functionName, account, options.Value.Region, query.Length == 0 ? null : query);
        if (name.Qualifier is null) throw Errors.Validation("null", "qualifier", "Member must not be null");
        if (name.Qualifier == "$LATEST")
        {
            throw Errors.InvalidParameter("Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
        }
        await invoker.ResolveAsync(account, name.Name, name.Qualifier);
        return (account, name.Name, name.Qualifier);
    }

    private static async Task<ProvisionedConfig> StatusAsync(ProvisionedSetting setting, IGrainFactory grains, int? known = null)
    {
        var allocated = known ?? await grains.GetGrain<IProvisionedStatusGrain>($"{setting.Account}/{setting.Name}/{setting.Qualifier}").Allocated();
        allocated = Math.Min(allocated, setting.Requested);
        return new ProvisionedConfig
        {
            RequestedProvisionedConcurrentExecutions = setting.Requested,
            AvailableProvisionedConcurrentExecutions = allocated,
            AllocatedProvisionedConcurrentExecutions = allocated,
            Status = allocated >= setting.Requested ? "READY" : "IN_PROGRESS",
            LastModified = setting.LastModified,
        };
    }

    private static LambdaException NotFound() =>
        new(HttpStatusCode.NotFound, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function", MessageCasing.Lower);
}

public sealed class ProvisionedRequest
{
    public int? ProvisionedConcurrentExecutions { get; set; }
}

public sealed class ProvisionedConfig
{
    public string? FunctionArn { get; set; }
    public int RequestedProvisionedConcurrentExecutions { get; set; }
    public int AvailableProvisionedConcurrentExecutions { get; set; }
    public int AllocatedProvisionedConcurrentExecutions { get; set; }
    public string Status { get; set; } = "IN_PROGRESS";
    public string? StatusReason { get; set; }
    public string LastModified { get; set; } = "";
}

public sealed class ProvisionedList
{
    public List<ProvisionedConfig> ProvisionedConcurrencyConfigs { get; set; } = [];
    public string? NextMarker { get; set; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProvisionedRequest))]
[JsonSerializable(typeof(ProvisionedConfig))]
[JsonSerializable(typeof(ProvisionedList))]
public sealed partial class ProvisionedJsonContext : JsonSerializerContext;
