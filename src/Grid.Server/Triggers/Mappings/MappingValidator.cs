using Grid.Server.Api;
using Grid.Server.Async;
using Grid.Server.Streams;

namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// Turns Create/UpdateEventSourceMapping requests into <see cref="MappingSettings"/>, with Lambda's ranges and rules for
/// Kinesis sources. Every rejection is an InvalidParameterValueException that names the setting, the allowed values and
/// what was sent.
/// </summary>
public static class MappingValidator
{
    public const string ReportBatchItemFailures = "ReportBatchItemFailures";
    public const int MaxFilters = 5;
    public const int MaxPatternLength = 4096;

    private static readonly string[] StartingPositions = ["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"];

    /// <summary>The settings of a new mapping: Lambda's Kinesis defaults overridden by the request.</summary>
    public static MappingSettings ForCreate(EventSourceMappingRequest request, string accountId)
    {
        RejectUnsupported(request);
        var position = request.StartingPosition
            ?? throw Errors.InvalidParameter("StartingPosition is required for a Kinesis event source: pass TRIM_HORIZON, LATEST or AT_TIMESTAMP.");
        if (!StartingPositions.Contains(position))
        {
            throw Errors.InvalidParameter($"StartingPosition '{position}' is not valid: use TRIM_HORIZON, LATEST or AT_TIMESTAMP.");
        }
        if (position == "AT_TIMESTAMP" && request.StartingPositionTimestamp is null)
        {
            throw Errors.InvalidParameter("StartingPositionTimestamp (epoch seconds) is required when StartingPosition is AT_TIMESTAMP.");
        }
        if (position != "AT_TIMESTAMP" && request.StartingPositionTimestamp is not null)
        {
            throw Errors.InvalidParameter("StartingPositionTimestamp is only valid with StartingPosition AT_TIMESTAMP.");
        }
        if (request.StartingPositionTimestamp is < 0)
        {
            throw Errors.InvalidParameter($"StartingPositionTimestamp {request.StartingPositionTimestamp} is negative: pass epoch seconds.");
        }
        return Apply(new MappingSettings { StartingPosition = position, StartingPositionTimestamp = request.StartingPositionTimestamp }, request, accountId);
    }

    /// <summary>The settings after an update: what the request names changes, the rest stays; StartingPosition cannot change.</summary>
    public static MappingSettings ForUpdate(MappingSettings current, EventSourceMappingRequest request, string accountId)
    {
        RejectUnsupported(request);
        if (request.StartingPosition is not null || request.StartingPositionTimestamp is not null)
        {
            throw Errors.InvalidParameter("StartingPosition cannot be changed on an existing mapping: delete it and create a new one.");
        }
        if (request.EventSourceArn is not null)
        {
            throw Errors.InvalidParameter("EventSourceArn cannot be changed on an existing mapping: delete it and create a new one.");
        }
        return Apply(current, request, accountId);
    }

    private static void RejectUnsupported(EventSourceMappingRequest request)
    {
        if (request.Topics is { Count: > 0 } || request.Queues is { Count: > 0 })
        {
            throw Errors.InvalidParameter("Topics and Queues are not supported for a Kinesis event source.");
        }
        if (request.TumblingWindowInSeconds is { } window and not 0)
        {
            throw Errors.InvalidParameter(
                $"TumblingWindowInSeconds {window} is not supported: Grid does not implement tumbling windows; omit it or pass 0.");
        }
    }

    private static MappingSettings Apply(MappingSettings s, EventSourceMappingRequest r, string accountId)
    {
        if (r.BatchSize is { } batch)
        {
            Range("BatchSize", batch, 1, 10_000);
            s = s with { BatchSize = batch };
        }
        if (r.MaximumBatchingWindowInSeconds is { } window)
        {
            Range("MaximumBatchingWindowInSeconds", window, 0, 300);
            s = s with { MaximumBatchingWindowInSeconds = window };
        }
        if (r.ParallelizationFactor is { } parallel)
        {
            Range("ParallelizationFactor", parallel, 1, 10);
            s = s with { ParallelizationFactor = parallel };
        }
        if (r.BisectBatchOnFunctionError is { } bisect) s = s with { BisectBatchOnFunctionError = bisect };
        if (r.MaximumRetryAttempts is { } retries)
        {
            Range("MaximumRetryAttempts", retries, -1, 10_000);
            s = s with { MaximumRetryAttempts = retries };
        }
        if (r.MaximumRecordAgeInSeconds is { } age)
        {
            if (age != -1 && age is < 60 or > 604_800)
            {
                throw Errors.InvalidParameter($"MaximumRecordAgeInSeconds must be -1 (no limit) or between 60 and 604800; got {age}.");
            }
            s = s with { MaximumRecordAgeInSeconds = age };
        }
        if (r.FunctionResponseTypes is { } types)
        {
            foreach (var type in types.Where(t => t != ReportBatchItemFailures))
            {
                throw Errors.InvalidParameter($"FunctionResponseTypes value '{type}' is not valid: the only value is {ReportBatchItemFailures}.");
            }
            s = s with { ReportBatchItemFailures = types.Count > 0 };
        }
        if (r.DestinationConfig is { } destinations)
        {
            if (destinations.OnSuccess?.Destination is { Length: > 0 })
            {
                throw Errors.InvalidParameter("DestinationConfig.OnSuccess is not supported for a Kinesis event source: use OnFailure.");
            }
            var onFailure = destinations.OnFailure?.Destination;
            s = s with { OnFailureDestination = string.IsNullOrEmpty(onFailure) ? null : CheckDestination(onFailure, accountId) };
        }
        if (r.FilterCriteria is { } criteria)
        {
            var filters = criteria.Filters ?? [];
            if (filters.Count > MaxFilters)
            {
                throw Errors.InvalidParameter($"FilterCriteria has {filters.Count} filters; at most {MaxFilters} are allowed per event source mapping.");
            }
            var patterns = new List<string>();
            foreach (var filter in filters)
            {
                var pattern = filter.Pattern ?? "";
                if (pattern.Length > MaxPatternLength)
                {
                    throw Errors.InvalidParameter($"A FilterCriteria pattern is {pattern.Length} characters long; the limit is {MaxPatternLength}.");
                }
                try
                {
                    FilterPattern.Parse(pattern);
                }
                catch (FilterPatternException e)
                {
                    throw Errors.InvalidParameter($"Invalid filter pattern definition. {e.Message}");
                }
                patterns.Add(pattern);
            }
            s = s with { Filters = [.. patterns] };
        }
        return s;
    }

    /// <summary>A Lambda function or Grid stream of the caller's account; anything else cannot be delivered by Grid.</summary>
    private static string CheckDestination(string arn, string accountId)
    {
        if (DestinationRecord.ParseFunctionArn(arn) is { } function)
        {
            if (function.Account != accountId)
            {
                throw Errors.InvalidParameter($"The on-failure destination {arn} belongs to another account; use a function of account {accountId}.");
            }
            return arn;
        }
        if (StreamArns.TryParse(arn, out var account, out _))
        {
            if (account != accountId)
            {
                throw Errors.InvalidParameter($"The on-failure destination {arn} belongs to another account; use a stream of account {accountId}.");
            }
            return arn;
        }
        throw Errors.InvalidParameter(
            $"The on-failure destination {arn} is not supported: Grid delivers on-failure records to a Lambda function "
            + "(arn:aws:lambda:<region>:<account>:function:<name>) or a Grid stream (arn:aws:kinesis:<region>:<account>:stream/<name>).");
    }

    private static void Range(string name, int value, int min, int max)
    {
        if (value < min || value > max) throw Errors.InvalidParameter($"{name} must be between {min} and {max}; got {value}.");
    }
}
