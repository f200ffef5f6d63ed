using Polly;
using Polly.Retry;

namespace Grid.Client.Internal;

/// <summary>
/// The retry policy (Polly): throttles (429) for every call, and 5xx/connection failures for reads only; a failed invoke
/// or other write is never repeated, because it may have run. Exponential backoff with jitter from
/// <see cref="GridClientOptions.ThrottleBaseDelay"/>; a Retry-After from the node wins (capped).
/// </summary>
internal static class RetryPipeline
{
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    public static ResiliencePipeline Create(GridClientOptions options)
    {
        if (options.MaxThrottleRetries == 0) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<GridException>(e => e.Retryable),
                MaxRetryAttempts = options.MaxThrottleRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.ThrottleBaseDelay,
                MaxDelay = TimeSpan.FromSeconds(30),
                DelayGenerator = static args => new ValueTask<TimeSpan?>(
                    args.Outcome.Exception is GridThrottledException { RetryAfter: { } after }
                        ? (after < MaxRetryAfter ? after : MaxRetryAfter)
                        : null),
            })
            .Build();
    }
}
