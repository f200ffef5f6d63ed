using Grid.Server.Hosting;
using Grid.Server.Triggers.Mappings;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Streams;

namespace Grid.Server.Triggers.Delivery;

/// <summary>Wires the event source mapping delivery engine into a silo.</summary>
public static class DeliveryHosting
{
    /// <summary>
    /// Registers the "grid-shards" persistent stream provider (pulling agents over the record log, implicit subscriptions
    /// only, so no pub/sub storage), the consumer grain's services and <see cref="CheckpointStore"/>.
    /// </summary>
    /// <exception cref="StartupException">A Grid:Delivery setting is out of range (the message names it and the range).</exception>
    public static ISiloBuilder AddGridStreamDelivery(this ISiloBuilder silo)
    {
        CheckOptions(silo.Configuration);
        silo.Services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section);
        silo.Services.TryAddSingleton<CheckpointStore>();
        // What delivery runs on; the mapping API registers them too (same types: one instance either way).
        silo.Services.TryAddSingleton<MappingStore>();
        silo.Services.TryAddSingleton<BatchProcessor>();
        silo.Services.TryAddSingleton<ShardHeadsCache>();
        silo.AddPersistentStreams(ShardStreams.ProviderName, ShardQueueAdapterFactory.Create, stream =>
        {
            stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
            // The agent of a queue lives on the node the consistent ring gives it; when a node leaves or is declared dead the
            // ring changes and its queues start on the survivors (from the checkpoints).
            stream.UseConsistentRingQueueBalancer();
            stream.ConfigurePullingAgent(agent => agent.Configure<IOptions<DeliveryOptions>>((o, delivery) =>
            {
                o.GetQueueMsgsTimerPeriod = delivery.Value.PollPeriod;
                o.BatchContainerBatchSize = 1; // a container already holds a whole Lambda batch (BatchSize × ParallelizationFactor records)
                o.MaxEventDeliveryTime = TimeSpan.FromMinutes(1);
            }));
        });
        return silo;
    }

    /// <summary>Refuses to start on settings that would break delivery, as the node does for the Grid section.</summary>
    private static void CheckOptions(IConfiguration configuration)
    {
        var options = new DeliveryOptions();
        configuration.GetSection(DeliveryOptions.Section).Bind(options);
        if (options.Problems() is not { Count: > 0 } problems) return;
        throw new StartupException("Invalid configuration:\n  " + string.Join("\n  ", problems)
            + $"\nSet values in appsettings.json (section \"{DeliveryOptions.Section}\") or environment variables (Grid__Delivery__QueueCount=4).");
    }
}
