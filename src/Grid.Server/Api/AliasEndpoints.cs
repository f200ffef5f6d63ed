using System.Globalization;
using System.Text.RegularExpressions;
using Grid.Server.Control;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>Aliases (Lambda API 2015-03-31): named pointers to versions, with weighted routing to a second version.</summary>
public static partial class AliasEndpoints
{
    private const string AliasPattern = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)";
    private const string WeightsField = "routingConfig.additionalVersionWeights";

    [GeneratedRegex("^" + AliasPattern + "$")]
    private static partial Regex AliasRegex();

    [GeneratedRegex(@"^(\$LATEST|[0-9]+)$")]
    private static partial Regex VersionRegex();

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapResource("/2015-03-31/functions/{functionName}/aliases", "aliasName", create: Create, list: List, get: Get, update: Update, delete: Delete);

    private static async Task<IResult> Create(string functionName, HttpContext http, IGrainFactory grains, FunctionCache cache,
        IOptions<GridOptions> options)
    {
        var (account, name) = Function(functionName, http, options);
        var request = http.ReadJson(GridJsonContext.Default.AliasRequest);
        if (request.Name is null) throw Errors.Validation("null", "name", "Member must not be null");
        if (request.FunctionVersion is null) throw Errors.Validation("null", "functionVersion", "Member must not be null");
        CheckName(request.Name);
        Check(request);
        var alias = await Grain(grains, account, name).CreateAlias(request);
        cache.Invalidate(account, name);
        return ApiContext.Json(alias, GridJsonContext.Default.AliasConfiguration, StatusCodes.Status201Created);
    }

    private static async Task<IResult> Get(string functionName, string aliasName, HttpContext http, IGrainFactory grains,
        IOptions<GridOptions> options)
    {
        var (account, name) = Function(functionName, http, options);
        CheckName(aliasName);
        var alias = await Grain(grains, account, name).GetAlias(aliasName)
            ?? throw Errors.ResourceNotFound($"Cannot find alias arn: {Arns.Function(options.Value.Region, account, name, aliasName)}");
        return ApiContext.Json(alias, GridJsonContext.Default.AliasConfiguration);
    }

    private static async Task<IResult> Update(string functionName, string aliasName, HttpContext http, IGrainFactory grains,
        FunctionCache cache, IOptions<GridOptions> options)
    {
        var (account, name) = Function(functionName, http, options);
        CheckName(aliasName);
        var request = http.ReadJson(GridJsonContext.Default.AliasRequest);
        Check(request);
        var alias = await Grain(grains, account, name).UpdateAlias(aliasName, request);
        cache.Invalidate(account, name);
        return ApiContext.Json(alias, GridJsonContext.Default.AliasConfiguration);
    }

    private static async Task<IResult> List(string functionName, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options)
    {
        var (account, name) = Function(functionName, http, options);
        var query = http.Request.Query;
        var version = query["FunctionVersion"].ToString();
        if (version.Length > 0 && !VersionRegex().IsMatch(version))
        {
            throw Errors.Validation(version, "functionVersion", @"Member must satisfy regular expression pattern: (\$LATEST|[0-9]+)");
        }
        var aliases = await Grain(grains, account, name).ListAliases();
        if (version.Length > 0) aliases = aliases.Where(a => a.FunctionVersion == version || a.Additional?.Version == version).ToList();
        var (page, next) = Paging.Page(aliases, a => a.Name, query["Marker"], Paging.MaxItems(query["MaxItems"], 10000));
        return ApiContext.Json(new ListAliasesResponse { Aliases = page, NextMarker = next }, GridJsonContext.Default.ListAliasesResponse);
    }

    /// <summary>Deletes the alias with what targets it: its provisioned concurrency and its event source mappings (as a version delete does).</summary>
    private static async Task<IResult> Delete(string functionName, string aliasName, HttpContext http, IGrainFactory grains,
        FunctionCache cache, Storage.ConcurrencyStore concurrency, Triggers.Mappings.MappingStore mappings, IOptions<GridOptions> options)
    {
        var (account, name) = Function(functionName, http, options);
        CheckName(aliasName);
        await Grain(grains, account, name).DeleteAlias(aliasName);
        await concurrency.DeleteProvisionedAsync(account, name, aliasName);
        await mappings.DeleteForFunctionAsync(account, name, aliasName, http.RequestAborted);
        cache.Invalidate(account, name);
        return Results.StatusCode(StatusCodes.Status204NoContent);
    }

    private static (string Account, string Name) Function(string functionName, HttpContext http, IOptions<GridOptions> options)
    {
        var account = http.Caller().AccountId;
        return (account, FunctionName.Unqualified(functionName, account, options.Value.Region));
    }

    private static IFunctionGrain Grain(IGrainFactory grains, string account, string name) =>
        grains.GetGrain<IFunctionGrain>(FunctionCache.Key(account, name));

    private static void CheckName(string alias)
    {
        if (alias.Length > 128) throw Errors.Validation(alias, "name", "Member must have length less than or equal to 128");
        if (!AliasRegex().IsMatch(alias)) throw Errors.Validation(alias, "name", "Member must satisfy regular expression pattern: " + AliasPattern);
    }

    /// <summary>The static rules; whether the versions exist is the function grain's to check.</summary>
    private static void Check(AliasRequest request)
    {
        if (request.FunctionVersion is { } v && !VersionRegex().IsMatch(v))
        {
            throw Errors.Validation(v, "functionVersion", @"Member must satisfy regular expression pattern: (\$LATEST|[0-9]+)");
        }
        FunctionValidator.Description(request.Description);
        if (request.RoutingConfig?.AdditionalVersionWeights is not { } weights) return;
        var shown = "{" + string.Join(", ", weights.Select(w => $"{w.Key}={w.Value.ToString(CultureInfo.InvariantCulture)}")) + "}";
        if (weights.Count > 1) throw Errors.Validation(shown, WeightsField, "Member must have length less than or equal to 1");
        foreach (var (version, weight) in weights)
        {
            if (version != "$LATEST" && !(version.Length is > 0 and <= 1024 && version.All(char.IsAsciiDigit)))
            {
                throw Errors.Validation(shown, WeightsField, "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]+]");
            }
            if (weight is < 0.0 or > 1.0 || double.IsNaN(weight))
            {
                throw Errors.Validation(shown, WeightsField,
                    "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]");
            }
        }
    }
}
