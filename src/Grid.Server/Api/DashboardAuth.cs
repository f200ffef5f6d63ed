using System.Security.Cryptography;
using System.Text;
using Grid.Server.Api.Auth;

namespace Grid.Server.Api;

/// <summary>
/// The Orleans Dashboard behind the API's credentials: a browser cannot sign SigV4, so it sends HTTP Basic with an
/// access key id as user and its secret as password (over TLS in production).
/// </summary>
public sealed class DashboardAuth(AccessKeyStore keys) : IEndpointFilter
{
    public const string Prefix = "/dashboard";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && IsValid(header[6..].Trim())) return await next(context);
        context.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"Grid dashboard: access key id and secret access key\"";
        return Results.StatusCode(StatusCodes.Status401Unauthorized);
    }

    private bool IsValid(string encoded)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':');
        if (colon <= 0 || keys.Find(decoded[..colon]) is not { } key) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(decoded[(colon + 1)..]), Encoding.UTF8.GetBytes(key.SecretAccessKey));
    }
}
