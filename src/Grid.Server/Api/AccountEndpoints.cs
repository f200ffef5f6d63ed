using Grid.Server.Model;
using Grid.Server.Storage;

namespace Grid.Server.Api;

/// <summary>GetAccountSettings (API 2016-08-19): the account's limits and what it uses.</summary>
public static class AccountEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/2016-08-19/account-settings", Get);

    private static async Task<IResult> Get(HttpContext http, MetadataStore store)
    {
        var (count, size) = await store.UsageAsync(http.Caller().AccountId);
        var response = new AccountSettingsResponse { AccountUsage = new AccountUsage { FunctionCount = count, TotalCodeSize = size } };
        return ApiContext.Json(response, GridJsonContext.Default.AccountSettingsResponse);
    }
}
