using System.ComponentModel.DataAnnotations;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// Tuning of the event source mapping delivery engine (configuration section <c>Grid:Delivery</c>). The defaults aim at
/// a p50 put-to-invoke latency well under 100 ms at a few database polls per second per queue. Checked when the node
/// starts (<see cref="Problems"/>).
/// </summary>
public sealed class DeliveryOptions
{
    public const string Section = "Grid:Delivery";

    /// <summary>Queues of the "grid-shards" stream provider; each is pulled by one agent, balanced over the nodes.</summary>
    [Range(1, 1024, ErrorMessage = "must be between 1 and 1024 (default 4): mapping shards are spread over this many queues, each read by one node; use the same value on every node")]
    public int QueueCount { get; set; } = 4;

    /// <summary>How often an idle pulling agent asks the log for new records (a busy one reads back to back).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10", ErrorMessage = "must be between 00:00:00.001 and 00:00:10 (default 00:00:00.020): how often an idle queue looks for new records")]
    public TimeSpan PollPeriod { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often a queue re-reads the enabled mappings (new, disabled or deleted mappings are seen within this).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "must be between 00:00:00.100 and 00:10:00 (default 00:00:02): how soon new, changed or deleted mappings are seen")]
    public TimeSpan MappingRefresh { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Batches read ahead per mapping and shard that the consumer has not taken yet: bounds memory and read-ahead.</summary>
    [Range(1, 1000, ErrorMessage = "must be between 1 and 1000 (default 4): batches read ahead per mapping shard")]
    public int ReadAheadBatches { get; set; } = 4;

    /// <summary>
    /// A shard with nothing new whose checkpoint lags what was sent for this long gets a heartbeat, so a consumer that lost
    /// its in-memory batches (its node died) reads the tail from the log.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "must be between 00:00:00.100 and 01:00:00 (default 00:00:05): when a quiet shard that lags is re-read")]
    public TimeSpan HeartbeatAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a delivery call may wait for the consumer's backlog (below Orleans' 30 s call timeout).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:29", ErrorMessage = "must be between 00:00:00.100 and 00:00:29 (default 00:00:20): it is waited out inside an Orleans call, which times out after 30 s")]
    public TimeSpan DeliveryWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>What is wrong with these settings, one line per setting ("Grid:Delivery:QueueCount = 0: must be ..."); empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        return [.. results.SelectMany(r => r.MemberNames.Select(member =>
            $"{Section}:{member} = {GetType().GetProperty(member)?.GetValue(this)}: {r.ErrorMessage}"))];
    }
}
