using System.Net;
using Grid.Server.Control;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Grid.Server.Storage;
using Microsoft.Extensions.Options;

namespace Grid.Server.Api;

/// <summary>The function control plane: create, get, update, list, delete (Lambda API 2015-03-31).</summary>
public static class FunctionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/2015-03-31/functions", Create);
        app.MapGet("/2015-03-31/functions", List);
        app.MapGet("/2015-03-31/functions/{functionName}", Get);
        app.MapGet("/2015-03-31/functions/{functionName}/configuration", GetConfiguration);
        app.MapPut("/2015-03-31/functions/{functionName}/code", UpdateCode);
        app.MapPut("/2015-03-31/functions/{functionName}/configuration", UpdateConfiguration);
        app.MapDelete("/2015-03-31/functions/{functionName}", Delete);
    }

    private static async Task<IResult> Create(HttpContext http, IGrainFactory grains, FunctionCache cache, LayerStore layerStore,
        IOptions<GridOptions> options, TimeProvider time)
    {
        var caller = http.Caller();
        var region = options.Value.Region;
        var request = http.ReadJson(GridJsonContext.Default.CreateFunctionRequest);
        if (request.FunctionName is null) throw Errors.Validation("null", "functionName", "Member must not be null");
        var name = FunctionName.Parse(request.FunctionName, caller.AccountId, region, null, maxLength: 140, allowQualifier: false).Name;

        if (request.PackageType is not (null or "Zip"))
        {
            throw Errors.InvalidParameter(request.PackageType == "Image"
                ? "Grid does not run container images yet: package the function as a .zip (PackageType Zip)."
                : $"Value {request.PackageType} at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Image, Zip]");
        }
        FunctionValidator.Role(request.Role);
        if (request.Runtime is null || request.Handler is null)
        {
            throw Errors.InvalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.");
        }
        FunctionValidator.Runtime(request.Runtime);
        FunctionValidator.Handler(request.Handler);
        FunctionValidator.Description(request.Description);
        FunctionValidator.Memory(request.MemorySize ?? 128);
        FunctionValidator.Timeout(request.Timeout ?? 3);
        FunctionValidator.EphemeralStorage(request.EphemeralStorage?.Size ?? 512);
        FunctionValidator.Architectures(request.Architectures);
        FunctionValidator.Environment(request.Environment?.Variables);
        FunctionValidator.Tags(request.Tags);
        if (request.Code is null) throw Errors.Validation("null", "code", "Member must not be null");
        var package = Package(request.Code.ZipFile, request.Code.S3Bucket, request.Code.ImageUri);
        var layers = await LayerReferences.ResolveAsync(layerStore, caller.AccountId, request.Layers ?? []);
        layers.CheckTotal(package.UnzippedSize);

        var config = new FunctionConfiguration
        {
            FunctionName = name,
            FunctionArn = Arns.Function(region, caller.AccountId, name),
            Runtime = request.Runtime,
            Role = request.Role!,
            Handler = request.Handler,
            CodeSize = package.Zip.LongLength,
            CodeSha256 = package.CodeSha256,
            Description = request.Description ?? "",
            Timeout = request.Timeout ?? 3,
            MemorySize = request.MemorySize ?? 128,
            LastModified = Timestamps.Format(time.GetUtcNow()),
            Environment = new EnvironmentResponse { Variables = request.Environment?.Variables ?? [] },
            TracingConfig = request.TracingConfig ?? new TracingConfig(),
            RevisionId = Guid.NewGuid().ToString(),
            Architectures = request.Architectures ?? ["x86_64"],
            EphemeralStorage = request.EphemeralStorage ?? new EphemeralStorage(),
            LoggingConfig = new LoggingConfig { LogFormat = request.LoggingConfig?.LogFormat ?? "Text", LogGroup = request.LoggingConfig?.LogGroup ?? $"/aws/lambda/{name}" },
            DeadLetterConfig = DeadLetter(request.DeadLetterConfig),
            KMSKeyArn = request.KMSKeyArn,
            Layers = layers.References.Count > 0 ? layers.References : null,
        };
        var record = new FunctionRecord(caller.AccountId, name, "$LATEST", config, request.Tags ?? [], package.Sha256Hex, layers.Sha256Hex);
        var created = await grains.GetGrain<IFunctionGrain>(FunctionCache.Key(caller.AccountId, name))
            .Create(record, new(package.Zip), request.Publish == true);
        cache.Invalidate(caller.AccountId, name);
        return ApiContext.Json(created.Config, GridJsonContext.Default.FunctionConfiguration, StatusCodes.Status201Created);
    }

    private static async Task<IResult> Get(string functionName, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options,
        CodeUrlSigner signer, TimeProvider time)
    {
        var record = await Find(functionName, http, grains, options.Value.Region);
        var tags = record.Version == "$LATEST" ? record.Tags
            : (await grains.GetGrain<IFunctionGrain>(FunctionCache.Key(record.AccountId, record.Name)).Get())?.Tags ?? [];
        var response = new GetFunctionResponse
        {
            Configuration = record.Config,
            Code = new FunctionCodeLocation { Location = signer.Url(http.Request, record.AccountId, record.CodeSha256Hex, time.GetUtcNow()) },
            Tags = tags.Count > 0 ? tags : null,
            Concurrency = await grains.GetGrain<IConcurrencyGrain>(record.AccountId).Reserved(record.Name) is { } reserved
                ? new Concurrency { ReservedConcurrentExecutions = reserved } : null,
        };
        return ApiContext.Json(response, GridJsonContext.Default.GetFunctionResponse);
    }

    private static async Task<IResult> GetConfiguration(string functionName, HttpContext http, IGrainFactory grains, IOptions<GridOptions> options)
    {
        var record = await Find(functionName, http, grains, options.Value.Region);
        return ApiContext.Json(record.Config, GridJsonContext.Default.FunctionConfiguration);
    }

    private static async Task<IResult> UpdateCode(string functionName, HttpContext http, IGrainFactory grains, FunctionCache cache,
        LayerStore layerStore, IOptions<GridOptions> options)
    {
        var caller = http.Caller();
        var name = FunctionName.Parse(functionName, caller.AccountId, options.Value.Region, null, 140, allowQualifier: false);
        var request = http.ReadJson(GridJsonContext.Default.UpdateFunctionCodeRequest);
        FunctionValidator.Architectures(request.Architectures);
        var package = Package(request.ZipFile, request.S3Bucket, request.ImageUri);
        var grain = grains.GetGrain<IFunctionGrain>(FunctionCache.Key(caller.AccountId, name.Name));
        var current = await grain.Get() ?? throw Errors.FunctionNotFound(Arns.Function(options.Value.Region, caller.AccountId, name.Name));
        if (current.Config.Layers is { Count: > 0 } used)
        {
            // Layers deleted since still count: the function keeps running with them.
            var layers = await LayerReferences.ResolveAsync(layerStore, caller.AccountId, used.Select(l => l.Arn).ToList(), includeDeleted: true);
            layers.CheckTotal(package.UnzippedSize);
        }
        if (request.DryRun == true)
        {
            if (request.RevisionId is not null && request.RevisionId != current.Config.RevisionId) throw Errors.PreconditionFailed();
            var preview = current.Config.Clone();
            preview.CodeSha256 = package.CodeSha256;
            preview.CodeSize = package.Zip.LongLength;
            return ApiContext.Json(preview, GridJsonContext.Default.FunctionConfiguration);
        }
        var updated = await grain.UpdateCode(new CodeUpload(package.Sha256Hex, package.CodeSha256, package.Zip.LongLength, package.Zip),
            request.RevisionId, request.Publish == true);
        cache.Invalidate(caller.AccountId, name.Name);
        return ApiContext.Json(updated.Config, GridJsonContext.Default.FunctionConfiguration);
    }

    private static async Task<IResult> UpdateConfiguration(string functionName, HttpContext http, IGrainFactory grains, FunctionCache cache,
        LayerStore layerStore, ICodeStore code, IOptions<GridOptions> options)
    {
        var caller = http.Caller();
        var region = options.Value.Region;
        var name = FunctionName.Parse(functionName, caller.AccountId, region, null, 140, allowQualifier: false);
        var request = http.ReadJson(GridJsonContext.Default.UpdateFunctionConfigurationRequest);
        var grain = grains.GetGrain<IFunctionGrain>(FunctionCache.Key(caller.AccountId, name.Name));
        for (var attempt = 0; ; attempt++)
        {
            var current = await grain.Get() ?? throw Errors.FunctionNotFound(Arns.Function(region, caller.AccountId, name.Name));
            if (request.RevisionId is not null && request.RevisionId != current.Config.RevisionId) throw Errors.PreconditionFailed();
            var config = Apply(request, current.Config.Clone());
            LayerReferences? layers = null;
            if (request.Layers is not null)
            {
                layers = await LayerReferences.ResolveAsync(layerStore, caller.AccountId, request.Layers);
                if (layers.UnzippedSize > 0) layers.CheckTotal(await UnzippedSizeAsync(code, current.CodeSha256Hex));
                config.Layers = layers.References.Count > 0 ? layers.References : null;
            }
            var updated = await grain.UpdateConfiguration(config, layers?.Sha256Hex, current.Config.RevisionId);
            if (updated is not null)
            {
                cache.Invalidate(caller.AccountId, name.Name);
                return ApiContext.Json(updated.Config, GridJsonContext.Default.FunctionConfiguration);
            }
            if (request.RevisionId is not null) throw Errors.PreconditionFailed();
            if (attempt == 5)
            {
                throw new LambdaException(HttpStatusCode.Conflict, "ResourceConflictException",
                    $"The operation cannot be performed at this time. An update is in progress for resource: {current.Config.FunctionArn}", MessageCasing.Lower);
            }
        }
    }

    private static async Task<IResult> List(HttpContext http, MetadataStore store)
    {
        var caller = http.Caller();
        var query = http.Request.Query;
        var maxItems = 50;
        if (query.TryGetValue("MaxItems", out var max))
        {
            if (!int.TryParse(max, out maxItems) || maxItems < 1)
                throw Errors.Validation(max.ToString(), "maxItems", "Member must have value greater than or equal to 1");
            if (maxItems > 10000) throw Errors.Validation(max.ToString(), "maxItems", "Member must have value less than or equal to 10000");
        }
        var version = query["FunctionVersion"].ToString();
        if (version.Length > 0 && version != "ALL")
        {
            throw Errors.Validation(version, "functionVersion", "Member must satisfy enum value set: [ALL]");
        }
        var (items, next) = await store.ListAsync(caller.AccountId, query["Marker"].ToString(), maxItems, version == "ALL");
        if (version == "ALL")
        {
            foreach (var c in items.Where(c => c.Version == "$LATEST"))
            {
                c.FunctionArn += ":$LATEST";
            }
        }
        return ApiContext.Json(new ListFunctionsResponse { Functions = items, NextMarker = next }, GridJsonContext.Default.ListFunctionsResponse);
    }

    /// <summary>
    /// Deletes the function, or with a version qualifier that version only. In cluster mode the answer waits out the
    /// other nodes' cache duration, so once it returns no node routes an invoke to what was deleted.
    /// </summary>
    private static async Task<IResult> Delete(string functionName, HttpContext http, IGrainFactory grains, FunctionCache cache,
        ConcurrencyStore concurrency, IOptions<GridOptions> options)
    {
        var caller = http.Caller();
        var region = options.Value.Region;
        var name = FunctionName.Parse(functionName, caller.AccountId, region, http.Request.Query["Qualifier"].ToString().NullIfEmpty(), 140);
        var grain = grains.GetGrain<IFunctionGrain>(FunctionCache.Key(caller.AccountId, name.Name));
        if (name.Qualifier is null or "$LATEST")
        {
            await grain.Delete();
            await grains.GetGrain<IConcurrencyGrain>(caller.AccountId).SetReserved(name.Name, null);
            await concurrency.DeleteProvisionedAsync(caller.AccountId, name.Name, null);
            await http.RequestServices.GetRequiredService<Triggers.Mappings.MappingStore>().DeleteForFunctionAsync(caller.AccountId, name.Name);
        }
        else if (name.Qualifier.All(char.IsAsciiDigit))
        {
            await grain.DeleteVersion(name.Qualifier);
            await concurrency.DeleteProvisionedAsync(caller.AccountId, name.Name, name.Qualifier);
            await http.RequestServices.GetRequiredService<Triggers.Mappings.MappingStore>().DeleteForFunctionAsync(caller.AccountId, name.Name, name.Qualifier);
        }
        else
        {
            throw Errors.InvalidParameter($"Deletion of aliases is not supported by DeleteFunction: use DeleteAlias for {Arns.Function(region, caller.AccountId, name.Name, name.Qualifier)}.");
        }
        cache.Invalidate(caller.AccountId, name.Name);
        if (options.Value.IsClusterMode) await Task.Delay(options.Value.ConfigCacheDuration);
        return Results.StatusCode(StatusCodes.Status204NoContent);
    }

    /// <summary>Resolves a function reference for a read: $LATEST, a version number or an alias.</summary>
    internal static async Task<FunctionRecord> Find(string functionName, HttpContext http, IGrainFactory grains, string region)
    {
        var caller = http.Caller();
        var name = FunctionName.Parse(functionName, caller.AccountId, region, http.Request.Query["Qualifier"].ToString().NullIfEmpty());
        return await grains.GetGrain<IFunctionGrain>(FunctionCache.Key(caller.AccountId, name.Name)).GetVersion(name.Qualifier)
            ?? throw Errors.FunctionNotFound(Arns.Function(region, caller.AccountId, name.Name, name.Qualifier));
    }

    private static async Task<long> UnzippedSizeAsync(ICodeStore code, string sha256Hex)
    {
        var zip = await code.GetAsync(sha256Hex) ?? throw Errors.Service($"Code package {sha256Hex} is missing from the code store.");
        return CodePackage.Validate(zip).UnzippedSize;
    }

    private static FunctionConfiguration Apply(UpdateFunctionConfigurationRequest r, FunctionConfiguration c)
    {
        if (r.Role is not null) { FunctionValidator.Role(r.Role); c.Role = r.Role; }
        if (r.Runtime is not null) { FunctionValidator.Runtime(r.Runtime); c.Runtime = r.Runtime; }
        if (r.Handler is not null) { FunctionValidator.Handler(r.Handler); c.Handler = r.Handler; }
        if (r.Description is not null) { FunctionValidator.Description(r.Description); c.Description = r.Description; }
        if (r.Timeout is { } t) { FunctionValidator.Timeout(t); c.Timeout = t; }
        if (r.MemorySize is { } m) { FunctionValidator.Memory(m); c.MemorySize = m; }
        if (r.EphemeralStorage is { } e) { FunctionValidator.EphemeralStorage(e.Size); c.EphemeralStorage = e; }
        if (r.Environment is not null)
        {
            FunctionValidator.Environment(r.Environment.Variables);
            c.Environment = new EnvironmentResponse { Variables = r.Environment.Variables ?? [] };
        }
        if (r.TracingConfig is not null) c.TracingConfig = r.TracingConfig;
        if (r.DeadLetterConfig is not null) c.DeadLetterConfig = r.DeadLetterConfig.TargetArn is null ? null : DeadLetter(r.DeadLetterConfig);
        if (r.KMSKeyArn is not null) c.KMSKeyArn = r.KMSKeyArn.Length == 0 ? null : r.KMSKeyArn;
        if (r.LoggingConfig is not null) c.LoggingConfig = r.LoggingConfig;
        return c;
    }

    /// <summary>Dead letters go to another function (async events of it); Grid has no SQS or SNS.</summary>
    private static DeadLetterConfig? DeadLetter(DeadLetterConfig? config)
    {
        if (config?.TargetArn is not { } arn) return config;
        if (!System.Text.RegularExpressions.Regex.IsMatch(arn, @"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?$"))
        {
            throw Errors.InvalidParameter(
                $"The dead-letter target {arn} is not supported: Grid delivers dead letters to a Lambda function (arn:aws:lambda:<region>:<account>:function:<name>); SQS and SNS targets are not available.");
        }
        return config;
    }

    private static CodePackage Package(byte[]? zip, string? s3Bucket, string? imageUri)
    {
        if (imageUri is not null) throw Errors.InvalidParameter("Grid does not run container images yet: upload the package as ZipFile.");
        if (s3Bucket is not null) throw Errors.InvalidParameter("Grid has no S3: upload the package inline as ZipFile (aws lambda ... --zip-file fileb://fn.zip).");
        if (zip is null || zip.Length == 0) throw Errors.InvalidParameter("Please provide a source for function code.");
        return CodePackage.Validate(zip);
    }

    private static string? NullIfEmpty(this string value) => value.Length == 0 ? null : value;
}
