using Grid.Server.Streams;
using Grid.Server.Triggers.Mappings;
using Orleans.Configuration;
using Orleans.Streams;
using Microsoft.Extensions.Options;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// The "grid-shards" persistent stream provider's adapter over the record log. Read-only: records enter the log through
/// the Kinesis API (StreamLog), never through Orleans producers. Not rewindable: a consumer that needs older records reads
/// them from the log itself.
/// </summary>
internal sealed class ShardQueueAdapter(string name, Func<QueueId, IQueueAdapterReceiver> createReceiver) : IQueueAdapter
{
    public string Name => name;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadOnly;

    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext) =>
        throw new NotSupportedException($"The '{name}' stream provider reads the Grid stream log; write records with the Kinesis API (PutRecord / PutRecords).");

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => createReceiver(queueId);
}

/// <summary>Builds the adapter, the per-queue cache and the hash-ring queue mapper for "grid-shards".</summary>
internal sealed class ShardQueueAdapterFactory(string name, IServiceProvider services) : IQueueAdapterFactory
{
    private const int CacheCapacity = 4096;

    private readonly DeliveryOptions _options = services.GetRequiredService<IOptions<DeliveryOptions>>().Value;
    private readonly HashRingBasedStreamQueueMapper _mapper = new(
        new HashRingStreamQueueMapperOptions { TotalQueueCount = services.GetRequiredService<IOptions<DeliveryOptions>>().Value.QueueCount }, name);

    public static IQueueAdapterFactory Create(IServiceProvider services, string name) => new ShardQueueAdapterFactory(name, services);

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => Task.FromResult<IQueueAdapter>(new ShardQueueAdapter(name, CreateReceiver));

    private ShardQueueReceiver CreateReceiver(QueueId queueId) => new(queueId, _mapper,
        services.GetRequiredService<MappingStore>(), services.GetRequiredService<StreamLog>(), services.GetRequiredService<ShardHeadsCache>(),
        services.GetRequiredService<CheckpointStore>(),
        _options, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILoggerFactory>().CreateLogger<ShardQueueReceiver>());

    public IQueueAdapterCache GetQueueAdapterCache() => new ShardQueueAdapterCache(CacheCapacity);

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new NoOpStreamDeliveryFailureHandler());
}
