using Grid.Server.Execution.RuntimeApi;
using Grid.Server.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Grid.Server.Telemetry;

/// <summary>
/// OpenTelemetry for a node: Grid's, Orleans's, ASP.NET Core's, .NET runtime and process metrics on /metrics
/// (Prometheus); traces from the front door through Orleans grain calls (activity propagation) to the executor;
/// with Grid:Telemetry:OtlpEndpoint set, metrics, traces and logs also go to that collector.
/// </summary>
public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public static void AddGridTelemetry(this WebApplicationBuilder builder, GridOptions options, string instanceId)
    {
        var telemetry = options.Telemetry;
        if (!telemetry.Enabled) return;
        var otlp = telemetry.OtlpEndpoint is { Length: > 0 } endpoint ? new Uri(endpoint) : null;
        var protocol = telemetry.OtlpProtocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("grid", serviceInstanceId: instanceId))
            .WithMetrics(m =>
            {
                m.AddMeter(GridMetrics.MeterName, "Microsoft.Orleans")
                    .AddRuntimeInstrumentation()
                    .AddProcessInstrumentation()
                    .AddAspNetCoreInstrumentation()
                    .AddView("grid.invocation.duration", new ExplicitBucketHistogramConfiguration { Boundaries = GridMetrics.DurationBuckets })
                    .AddView("grid.init.duration", new ExplicitBucketHistogramConfiguration { Boundaries = GridMetrics.DurationBuckets })
                    .AddView("grid.async.event_age", new ExplicitBucketHistogramConfiguration { Boundaries = GridMetrics.EventAgeBuckets })
                    .AddView("grid.esm.iterator_age", new ExplicitBucketHistogramConfiguration { Boundaries = GridMetrics.EventAgeBuckets })
                    .AddPrometheusExporter();
                if (otlp is not null) m.AddOtlpExporter(o => Configure(o, otlp, protocol, "v1/metrics"));
            });
        if (otlp is not null)
        {
            // Spans cost allocations on every invoke; they are made only when someone collects them.
            otel.WithTracing(t => t
                .AddSource(GridTracing.SourceName, "Microsoft.Orleans.Application")
                .AddAspNetCoreInstrumentation(o => o.Filter = http =>
                    http.Request.Path != MetricsPath && !http.RequestServices.GetRequiredService<RuntimeApiTransport>().IsRuntimePort(http.Connection.LocalPort))
                .AddOtlpExporter(o => Configure(o, otlp, protocol, "v1/traces")));
            builder.Logging.AddOpenTelemetry(l => l.AddOtlpExporter(o => Configure(o, otlp, protocol, "v1/logs")));
        }
    }

    public static void MapGridTelemetry(this WebApplication app, GridOptions options)
    {
        if (options.Telemetry.Enabled) app.MapPrometheusScrapingEndpoint(MetricsPath);
    }

    private static void Configure(OtlpExporterOptions o, Uri endpoint, OtlpExportProtocol protocol, string signalPath)
    {
        o.Protocol = protocol;
        // For http/protobuf the endpoint is per signal; for gRPC it is the collector itself.
        o.Endpoint = protocol == OtlpExportProtocol.Grpc ? endpoint : new Uri(endpoint, signalPath);
    }
}
