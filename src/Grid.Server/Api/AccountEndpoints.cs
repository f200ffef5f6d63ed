using Grid.Server.Model;
using Grid.Server.Storage;

namespace Grid.Server.Api;

/// <summary>GetAccountSettings (API 2016-08-19): the account's limits and what it uses.</summary>
public static class AccountEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/2016-08-19/account-settings", Get);

    private static async Task<IResult> Get(HttpContext http, MetadataStore store, IGrainFactory grains)
    {
        var account = http.Caller().AccountId;
        var (count, size) = await store.UsageAsync(account);
        var (limit, unreserved) = await grains.GetGrain<Control.IConcurrencyGrain>(account).Limits();
        var response = new AccountSettingsResponse
        {
            AccountLimit = new AccountLimit { ConcurrentExecutions = limit, UnreservedConcurrentExecutions = unreserved },
            AccountUsage = new AccountUsage { FunctionCount = count, TotalCodeSize = size },
        };
        return ApiContext.Json(response, GridJsonContext.Default.AccountSettingsResponse);
    }
}
