namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// Tuning of the event source mapping delivery engine (configuration section <c>Grid:Delivery</c>). The defaults aim at
/// a p50 put-to-invoke latency well under 100 ms at a few database polls per second per queue.
/// </summary>
public sealed class DeliveryOptions
{
    public const string Section = "Grid:Delivery";

    /// <summary>Queues of the "grid-shards" stream provider; each is pulled by one agent, balanced over the nodes.</summary>
    public int QueueCount { get; set; } = 4;

    /// <summary>How often an idle pulling agent asks the log for new records (a busy one reads back to back).</summary>
    public TimeSpan PollPeriod { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often a queue re-reads the enabled mappings (new, disabled or deleted mappings are seen within this).</summary>
    public TimeSpan MappingRefresh { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Batches read ahead per mapping and shard that the consumer has not taken yet: bounds memory and read-ahead.</summary>
    public int ReadAheadBatches { get; set; } = 4;

    /// <summary>
    /// A shard with nothing new whose checkpoint lags what was sent for this long gets a heartbeat, so a consumer that lost
    /// its in-memory batches (its node died) reads the tail from the log.
    /// </summary>
    public TimeSpan HeartbeatAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a delivery call may wait for the consumer's backlog (below Orleans' 30 s call timeout).</summary>
    public TimeSpan DeliveryWait { get; set; } = TimeSpan.FromSeconds(20);
}
