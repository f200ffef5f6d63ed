using Grid.Server.Control;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Grid.Server.Storage;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>Layers (Lambda API 2018-10-31): publish, get, list and delete layer versions.</summary>
public static class LayerEndpoints
{
    private const string NotFound = "The resource you requested does not exist.";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/2018-10-31/layers/{layerName}/versions", Publish);
        app.MapGet("/2018-10-31/layers/{layerName}/versions", ListVersions);
        app.MapGet("/2018-10-31/layers/{layerName}/versions/{versionNumber}", Get);
        app.MapDelete("/2018-10-31/layers/{layerName}/versions/{versionNumber}", Delete);
        app.MapGet("/2018-10-31/layers", ListOrGetByArn);
    }

    private static async Task<IResult> Publish(string layerName, HttpContext http, LayerStore layers, ICodeStore code, CodeUrlSigner signer,
        IOptions<GridOptions> options, TimeProvider time)
    {
        var account = http.Caller().AccountId;
        var name = LayerArn.Name(layerName, account);
        var request = http.ReadJson(GridJsonContext.Default.PublishLayerVersionRequest);
        if (request.Content is null) throw Errors.Validation("null", "content", "Member must not be null");
        if (request.Content.S3Bucket is not null)
        {
            throw Errors.InvalidParameter("Grid has no S3: upload the layer inline (aws lambda publish-layer-version --zip-file fileb://layer.zip).");
        }
        if (request.Content.ZipFile is not { Length: > 0 } zip) throw Errors.InvalidParameter("Please provide a source for layer content.");
        FunctionValidator.Description(request.Description);
        CheckRuntimes(request.CompatibleRuntimes);
        CheckArchitectures(request.CompatibleArchitectures);
        if (request.LicenseInfo is { Length: > 512 })
        {
            throw Errors.Validation(request.LicenseInfo, "licenseInfo", "Member must have length less than or equal to 512");
        }
        var package = CodePackage.Validate(zip);

        await code.PutAsync(package.Sha256Hex, package.Zip);
        var layer = new LayerVersion
        {
            Content = new LayerVersionContent { CodeSha256 = package.CodeSha256, CodeSize = package.Zip.LongLength },
            LayerArn = LayerArn.Of(options.Value.Region, account, name),
            Description = request.Description ?? "",
            CreatedDate = Timestamps.Format(time.GetUtcNow()),
            CompatibleRuntimes = request.CompatibleRuntimes is { Count: > 0 } r ? r : null,
            LicenseInfo = request.LicenseInfo,
            CompatibleArchitectures = request.CompatibleArchitectures is { Count: > 0 } a ? a : null,
        };
        var published = await layers.PublishAsync(account, name, layer, package.Sha256Hex, package.UnzippedSize);
        return ApiContext.Json(WithLocation(published, package.Sha256Hex, http, signer, time), GridJsonContext.Default.LayerVersion,
            StatusCodes.Status201Created);
    }

    private static async Task<IResult> Get(string layerName, string versionNumber, HttpContext http, LayerStore layers,
        CodeUrlSigner signer, TimeProvider time)
    {
        var account = http.Caller().AccountId;
        var stored = await layers.GetAsync(account, LayerArn.Name(layerName, account), Version(versionNumber))
            ?? throw Errors.ResourceNotFound(NotFound);
        return ApiContext.Json(WithLocation(stored.Layer, stored.Sha256Hex, http, signer, time), GridJsonContext.Default.LayerVersion);
    }

    private static async Task<IResult> ListOrGetByArn(HttpContext http, LayerStore layers, CodeUrlSigner signer, TimeProvider time)
    {
        var account = http.Caller().AccountId;
        var query = http.Request.Query;
        if (query["find"] == "LayerVersion")
        {
            var arn = query["Arn"].ToString();
            var parsed = LayerArn.ParseVersion(arn)
                ?? throw Errors.Validation(arn, "arn", "Member must satisfy regular expression pattern: " + LayerArn.VersionPattern);
            var stored = parsed.Account == account ? await layers.GetAsync(account, parsed.Name, parsed.Version) : null;
            if (stored is null) throw Errors.ResourceNotFound(NotFound);
            return ApiContext.Json(WithLocation(stored.Layer, stored.Sha256Hex, http, signer, time), GridJsonContext.Default.LayerVersion);
        }

        var matching = Filter(await layers.ListAllAsync(account), query["CompatibleRuntime"], query["CompatibleArchitecture"]);
        var items = matching.GroupBy(v => v.Layer.LayerArn)
            .Select(g => g.First().Layer) // newest first within a layer
            .Select(v => new LayersListItem
            {
                LayerName = v.LayerArn[(v.LayerArn.LastIndexOf(':') + 1)..], LayerArn = v.LayerArn,
                LatestMatchingVersion = LayerVersionsListItem.From(v),
            })
            .ToList();
        var (page, next) = Paging.Page(items, i => i.LayerName, query["Marker"], Paging.MaxItems(query["MaxItems"]));
        return ApiContext.Json(new ListLayersResponse { Layers = page, NextMarker = next }, GridJsonContext.Default.ListLayersResponse);
    }

    private static async Task<IResult> ListVersions(string layerName, HttpContext http, LayerStore layers)
    {
        var account = http.Caller().AccountId;
        var query = http.Request.Query;
        var versions = Filter(await layers.ListVersionsAsync(account, LayerArn.Name(layerName, account)),
                query["CompatibleRuntime"], query["CompatibleArchitecture"])
            .Select(v => LayerVersionsListItem.From(v.Layer)).ToList();
        var (page, next) = Paging.Page(versions, v => v.Version.ToString("D19"), query["Marker"], Paging.MaxItems(query["MaxItems"]), descending: true);
        return ApiContext.Json(new ListLayerVersionsResponse { LayerVersions = page, NextMarker = next }, GridJsonContext.Default.ListLayerVersionsResponse);
    }

    private static async Task<IResult> Delete(string layerName, string versionNumber, HttpContext http, LayerStore layers,
        MetadataStore metadata, ICodeStore code)
    {
        var account = http.Caller().AccountId;
        var orphan = await layers.DeleteAsync(account, LayerArn.Name(layerName, account), Version(versionNumber), metadata);
        if (orphan is not null) await code.DeleteAsync(orphan);
        return Results.StatusCode(StatusCodes.Status204NoContent);
    }

    private static LayerVersion WithLocation(LayerVersion layer, string sha256Hex, HttpContext http, CodeUrlSigner signer, TimeProvider time)
    {
        layer.Content.Location = signer.Url(http.Request, http.Caller().AccountId, sha256Hex, time.GetUtcNow());
        return layer;
    }

    private static IEnumerable<StoredLayerVersion> Filter(IEnumerable<StoredLayerVersion> versions, string? runtime, string? architecture) =>
        versions.Where(v => (string.IsNullOrEmpty(runtime) || v.Layer.CompatibleRuntimes?.Contains(runtime) == true)
                            && (string.IsNullOrEmpty(architecture) || v.Layer.CompatibleArchitectures?.Contains(architecture) == true));

    private static long Version(string raw)
    {
        if (!long.TryParse(raw, out var version)) throw Errors.Validation(raw, "versionNumber", "Member must be a number");
        if (version < 1) throw Errors.InvalidParameter("Layer Version Cannot be less than 1");
        return version;
    }

    private static void CheckRuntimes(List<string>? runtimes)
    {
        if (runtimes is null) return;
        if (runtimes.Count > 15) throw Errors.Validation(string.Join(",", runtimes), "compatibleRuntimes", "Member must have length less than or equal to 15");
        foreach (var runtime in runtimes.Where(r => !FunctionValidator.KnownRuntimes.Contains(r)))
        {
            throw Errors.Validation(runtime, "compatibleRuntimes", $"Member must satisfy enum value set: [{string.Join(", ", FunctionValidator.KnownRuntimes)}]");
        }
    }

    private static void CheckArchitectures(List<string>? architectures)
    {
        if (architectures is null) return;
        if (architectures.Count > 2 || architectures.Any(a => a is not ("x86_64" or "arm64")))
        {
            throw Errors.Validation(string.Join(",", architectures), "compatibleArchitectures",
                "Member must have length less than or equal to 2 and satisfy enum value set: [x86_64, arm64]");
        }
    }
}
