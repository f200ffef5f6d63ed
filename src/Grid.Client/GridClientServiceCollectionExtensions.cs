using Grid.Client.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;

namespace Grid.Client;

/// <summary>Registers <see cref="IGridClient"/> as a typed HttpClient (IHttpClientFactory manages the pooled handlers).</summary>
public static class GridClientServiceCollectionExtensions
{
    /// <summary>The IHttpClientFactory name of the client's HttpClient (to add handlers: <c>services.AddHttpClient(GridClientServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(...)</c>).</summary>
    public const string HttpClientName = "Grid.Client";

    public static IServiceCollection AddGridClient(this IServiceCollection services, Action<GridClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<GridClientOptions>().Configure(configure);
        // One retry pipeline for the app; the typed clients the factory creates per scope share it.
        services.TryAddSingleton(sp => new GridRetryPipeline(RetryPipeline.Create(sp.GetRequiredService<IOptions<GridClientOptions>>().Value)));
        services.AddHttpClient(HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(GridClient.CreateHandler)
            .AddTypedClient<IGridClient>((http, sp) =>
                new GridClient(http, sp.GetRequiredService<IOptions<GridClientOptions>>().Value, sp.GetRequiredService<GridRetryPipeline>().Pipeline));
        return services;
    }
}

/// <summary>Holder so the pipeline is a DI singleton without registering Polly's type itself.</summary>
internal sealed record GridRetryPipeline(ResiliencePipeline Pipeline);
