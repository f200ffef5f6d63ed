using Grid.Server.Api;
using Grid.Server.Async;
using Grid.Server.Execution;
using Grid.Server.Hosting;
using Grid.Server.Streams;
using Microsoft.Extensions.Options;

namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// Create/Get/Update/Delete/ListEventSourceMappings (Lambda API 2015-03-31) for Grid streams
/// (arn:aws:kinesis:{region}:{account}:stream/{name}).
/// </summary>
public static class MappingEndpoints
{
    private const string Root = "/2015-03-31/event-source-mappings";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapResource(Root, "uuid", create: Create, list: List, get: Get, update: Update, delete: Delete);

    /// <summary>Registers the mapping store and the batch processor (the consumers in Triggers/Delivery use both).</summary>
    public static IServiceCollection AddEventSourceMappings(this IServiceCollection services) =>
        services.AddSingleton<MappingStore>().AddSingleton<BatchProcessor>();

    private static async Task<IResult> Create(HttpContext http, MappingStore store, StreamLog streams, FunctionInvoker invoker,
        IOptions<GridOptions> options)
    {
        var account = http.Caller().AccountId;
        var region = options.Value.Region;
        var request = http.ReadJson(MappingJson.Default.EventSourceMappingRequest);
        var function = await ExistingFunctionAsync(request.FunctionName, account, region, invoker);
        var stream = await SourceStreamAsync(request.EventSourceArn, account, streams);
        var settings = MappingValidator.ForCreate(request, account);
        await CheckDestinationExistsAsync(settings, account, streams, invoker);

        var checkpoints = await StartingCheckpointsAsync(stream, settings, streams, http.RequestAborted);
        var now = store.NowMs;
        var snapshot = new MappingSnapshot(Guid.NewGuid().ToString(), account, function.Name, function.Qualifier, stream.Arn, stream.Id,
            stream.ShardCount, settings, request.Enabled ?? true);
        var row = new MappingRow(snapshot, snapshot.Enabled ? MappingRow.Enabled : MappingRow.Disabled, MappingRow.UserAction,
            MappingRow.NoRecordsProcessed, now, now);
        var created = await store.CreateAsync(row, checkpoints, http.RequestAborted);
        if (created.Outcome == MappingCreateOutcome.StreamGone) throw StreamNotFound(stream.Arn);
        if (created.Outcome == MappingCreateOutcome.Duplicate)
        {
            var name = function.Qualifier is null ? function.Name : $"{function.Name}:{function.Qualifier}";
            throw new LambdaException(System.Net.HttpStatusCode.Conflict, "ResourceConflictException",
                $"The event source arn (\" {stream.Arn} \") and function (\" {name} \") provided mapping already exists. "
                + $"Please update or delete the existing mapping with UUID {created.ExistingUuid}", MessageCasing.Lower);
        }
        return Answer(row, "Creating", region, StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> Get(string uuid, HttpContext http, MappingStore store, IOptions<GridOptions> options)
    {
        var row = await OwnedAsync(uuid, http, store);
        return Answer(row, row.State, options.Value.Region, StatusCodes.Status200OK);
    }

    private static async Task<IResult> Update(string uuid, HttpContext http, MappingStore store, StreamLog streams, FunctionInvoker invoker,
        IOptions<GridOptions> options)
    {
        var account = http.Caller().AccountId;
        var region = options.Value.Region;
        var row = await OwnedAsync(uuid, http, store);
        var request = http.ReadJson(MappingJson.Default.EventSourceMappingRequest);
        var settings = MappingValidator.ForUpdate(row.Snapshot.Settings, request, account);
        await CheckDestinationExistsAsync(settings, account, streams, invoker);
        var snapshot = row.Snapshot with { Settings = settings, Enabled = request.Enabled ?? row.Snapshot.Enabled };
        if (request.FunctionName is not null)
        {
            var function = await ExistingFunctionAsync(request.FunctionName, account, region, invoker);
            snapshot = snapshot with { FunctionName = function.Name, Qualifier = function.Qualifier };
        }
        var now = store.NowMs;
        if (!await store.UpdateAsync(snapshot, now, http.RequestAborted)) throw NotFound();
        var transition = snapshot.Enabled == row.Snapshot.Enabled ? "Updating" : snapshot.Enabled ? "Enabling" : "Disabling";
        var updated = row with
        {
            Snapshot = snapshot,
            State = snapshot.Enabled ? MappingRow.Enabled : MappingRow.Disabled,
            StateReason = MappingRow.UserAction,
            LastModifiedMs = now,
        };
        return Answer(updated, transition, region, StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> Delete(string uuid, HttpContext http, MappingStore store, IOptions<GridOptions> options)
    {
        var row = await OwnedAsync(uuid, http, store);
        if (!await store.DeleteAsync(uuid, http.RequestAborted)) throw NotFound();
        return Answer(row, "Deleting", options.Value.Region, StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> List(HttpContext http, MappingStore store, IOptions<GridOptions> options)
    {
        var account = http.Caller().AccountId;
        var region = options.Value.Region;
        var query = http.Request.Query;
        var arn = query["EventSourceArn"].ToString() is { Length: > 0 } a ? a : null;
        FunctionName? function = query["FunctionName"].ToString() is { Length: > 0 } f ? Api.FunctionName.Parse(f, account, region, null, 140) : null;
        var rows = await store.ListAsync(account, arn, function?.Name, http.RequestAborted);
        if (function?.Qualifier is { } qualifier) rows = [.. rows.Where(r => r.Snapshot.Qualifier == qualifier)];
        var (page, next) = Paging.Page(rows, r => r.Snapshot.Uuid, query["Marker"], Paging.MaxItems(query["MaxItems"], 10_000));
        var response = new ListEventSourceMappingsResponse
        {
            EventSourceMappings = [.. page.Select(r => Describe(r, r.State, region))],
            NextMarker = next,
        };
        return ApiContext.Json(response, MappingJson.Default.ListEventSourceMappingsResponse);
    }

    /// <summary>The mapping if it belongs to the caller; Lambda's 404 otherwise (another account's mapping does not exist for it).</summary>
    private static async Task<MappingRow> OwnedAsync(string uuid, HttpContext http, MappingStore store)
    {
        var row = await store.GetRowAsync(uuid, http.RequestAborted);
        return row is not null && row.Snapshot.AccountId == http.Caller().AccountId ? row : throw NotFound();
    }

    private static LambdaException NotFound() => Errors.ResourceNotFound("The resource you requested does not exist.");

    private static async Task<FunctionName> ExistingFunctionAsync(string? raw, string account, string region, FunctionInvoker invoker)
    {
        if (string.IsNullOrEmpty(raw)) throw Errors.InvalidParameter("FunctionName is required: pass the function's name or ARN (optionally with :alias or :version).");
        var function = Api.FunctionName.Parse(raw, account, region, null, 140);
        if (function.Qualifier == "$LATEST") function = function with { Qualifier = null };
        await invoker.ResolveAsync(account, function.Name, function.Qualifier); // Lambda's 404 when the function or qualifier is missing
        return function;
    }

    private static async Task<StreamInfo> SourceStreamAsync(string? arn, string account, StreamLog streams)
    {
        if (string.IsNullOrEmpty(arn)) throw Errors.InvalidParameter("EventSourceArn is required: pass a Grid stream ARN, arn:aws:kinesis:<region>:<account>:stream/<name>.");
        if (!StreamArns.TryParse(arn, out _, out _))
        {
            throw Errors.InvalidParameter(
                $"Unsupported event source {arn}: Grid maps Grid streams only (arn:aws:kinesis:<region>:<account>:stream/<name>; create one with aws kinesis create-stream).");
        }
        var stream = await streams.FindByArnAsync(arn);
        return stream is not null && stream.AccountId == account && stream.Status == "ACTIVE" ? stream : throw StreamNotFound(arn);
    }

    private static LambdaException StreamNotFound(string arn) =>
        Errors.ResourceNotFound($"Stream not found: {arn}. Create it with aws kinesis create-stream, or check the region and account in the ARN.");

    private static async Task CheckDestinationExistsAsync(MappingSettings settings, string account, StreamLog streams, FunctionInvoker invoker)
    {
        if (settings.OnFailureDestination is not { } destination) return;
        if (DestinationRecord.ParseFunctionArn(destination) is { } function)
        {
            try
            {
                await invoker.ResolveAsync(account, function.Name, function.Qualifier);
            }
            catch (LambdaException e) when (e.ErrorType == "ResourceNotFoundException")
            {
                throw Errors.InvalidParameter($"The on-failure destination function {destination} does not exist: create it first.");
            }
            return;
        }
        var stream = await streams.FindByArnAsync(destination);
        if (stream is null || stream.AccountId != account)
        {
            throw Errors.InvalidParameter($"The on-failure destination stream {destination} does not exist: create it first with aws kinesis create-stream.");
        }
    }

    /// <summary>Per shard, the last sequence number the mapping counts as done: TRIM_HORIZON 0, LATEST the head, AT_TIMESTAMP just before it.</summary>
    private static async Task<long[]> StartingCheckpointsAsync(StreamInfo stream, MappingSettings settings, StreamLog streams, CancellationToken ct)
    {
        var checkpoints = new long[stream.ShardCount];
        switch (settings.StartingPosition)
        {
            case "LATEST":
                var heads = await streams.HeadsAsync([stream.Id], ct);
                for (var shard = 0; shard < checkpoints.Length; shard++) checkpoints[shard] = heads.GetValueOrDefault((stream.Id, shard));
                break;
            case "AT_TIMESTAMP":
                var timestampMs = (long)Math.Round(settings.StartingPositionTimestamp!.Value * 1000);
                for (var shard = 0; shard < checkpoints.Length; shard++)
                {
                    checkpoints[shard] = await streams.SeqBeforeTimestampAsync(stream.Id, shard, timestampMs, ct);
                }
                break;
        }
        return checkpoints;
    }

    private static IResult Answer(MappingRow row, string state, string region, int status) =>
        ApiContext.Json(Describe(row, state, region), MappingJson.Default.EventSourceMappingConfiguration, status);

    private static EventSourceMappingConfiguration Describe(MappingRow row, string state, string region)
    {
        var m = row.Snapshot;
        var s = m.Settings;
        return new EventSourceMappingConfiguration
        {
            UUID = m.Uuid,
            StartingPosition = s.StartingPosition,
            StartingPositionTimestamp = s.StartingPositionTimestamp,
            BatchSize = s.BatchSize,
            MaximumBatchingWindowInSeconds = s.MaximumBatchingWindowInSeconds,
            ParallelizationFactor = s.ParallelizationFactor,
            EventSourceArn = m.EventSourceArn,
            FilterCriteria = s.Filters.Length == 0 ? null : new MappingFilterCriteria { Filters = [.. s.Filters.Select(p => new MappingFilter { Pattern = p })] },
            FunctionArn = Arns.Function(region, m.AccountId, m.FunctionName, m.Qualifier),
            LastModified = row.LastModifiedMs / 1000.0,
            LastProcessingResult = row.LastProcessingResult,
            State = state,
            StateTransitionReason = row.StateReason,
            DestinationConfig = new MappingDestinationConfig { OnFailure = new MappingDestination { Destination = s.OnFailureDestination } },
            MaximumRecordAgeInSeconds = s.MaximumRecordAgeInSeconds,
            BisectBatchOnFunctionError = s.BisectBatchOnFunctionError,
            MaximumRetryAttempts = s.MaximumRetryAttempts,
            TumblingWindowInSeconds = 0,
            FunctionResponseTypes = s.ReportBatchItemFailures ? [MappingValidator.ReportBatchItemFailures] : [],
            EventSourceMappingArn = $"arn:aws:lambda:{region}:{m.AccountId}:event-source-mapping:{m.Uuid}",
        };
    }
}
