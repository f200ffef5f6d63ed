using Grid.Server.Storage;

namespace Grid.Server.Api;

/// <summary>Serves deployment packages behind the pre-signed URLs GetFunction hands out.</summary>
public static class CodeEndpoints
{
    public const string Prefix = "/grid/code/";

    public static void Map(IEndpointRouteBuilder app) => app.MapGet(Prefix + "{account}/{file}", Download);

    private static async Task<IResult> Download(string account, string file, HttpContext http, CodeUrlSigner signer,
        ICodeStore code, MetadataStore store, TimeProvider time)
    {
        var sha = file.EndsWith(".zip", StringComparison.Ordinal) ? file[..^4] : file;
        var query = http.Request.Query;
        if (!signer.IsValid(account, sha, query["Expires"], query["Signature"], time.GetUtcNow()))
        {
            return Results.Text("<Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>",
                "application/xml", statusCode: StatusCodes.Status403Forbidden);
        }
        var zip = sha.Length == 64 ? await code.GetAsync(sha) : null;
        if (zip is null || !await store.IsCodeReferencedAsync(sha))
        {
            return Results.Text("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
                "application/xml", statusCode: StatusCodes.Status404NotFound);
        }
        return Results.File(zip, "application/zip", sha + ".zip");
    }
}
