using Grid.Server.Api.Auth;
using Grid.Server.Model;

namespace Grid.Server.Api;

/// <summary>
/// Every Lambda API request passes here: body read once with the operation's size limit, SigV4 verified,
/// caller attached, and any failure rendered as a Lambda error.
/// </summary>
public sealed class FrontDoorMiddleware(RequestDelegate next, SigV4Verifier verifier, Hosting.NodeDrain drain, ILogger<FrontDoorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        drain.Enter();
        try
        {
            var path = context.Request.Path.Value ?? "";
            if (drain.Draining && path != "/health")
            {
                context.Response.Headers.Connection = "close"; // the client reconnects, through the load balancer, to another node
                throw Errors.NodeDraining();
            }
            if (!IsOpen(path))
            {
                var isInvoke = path.EndsWith("/invocations", StringComparison.Ordinal) || path.Contains("/invoke-async", StringComparison.Ordinal);
                var body = await ReadBodyAsync(context.Request, isInvoke);
                context.SetBody(body);
                context.SetCaller(verifier.Verify(context.Request, body,
                    Streams.KinesisProtocol.IsKinesis(context.Request) ? Streams.KinesisProtocol.SigningService : "lambda"));
            }
            await next(context);
        }
        catch (LambdaException e) when (Streams.KinesisProtocol.IsKinesis(context.Request))
        {
            await Streams.KinesisProtocol.WriteErrorAsync(context, e.ErrorType, e.Message, (int)e.Status); // Kinesis clients read "__type"
        }
        catch (LambdaException e)
        {
            await ErrorWriter.WriteAsync(context, e);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ErrorWriter.WriteAsync(context, Errors.RequestTooLarge(e.Message));
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(e, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            await ErrorWriter.WriteAsync(context, Errors.Service("An internal error occurred; the node log has the details."));
        }
        finally
        {
            drain.Exit();
        }
    }

    /// <summary>Paths with their own access rule: health, Prometheus scraping, pre-signed code URLs, the dashboard (Basic auth).</summary>
    private static bool IsOpen(string path) =>
        path == "/health" || path == Telemetry.TelemetrySetup.MetricsPath
        || path.StartsWith(CodeEndpoints.Prefix, StringComparison.Ordinal)
        || path.StartsWith(DashboardAuth.Prefix, StringComparison.Ordinal);

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, bool isInvoke)
    {
        long limit = isInvoke ? CodeLimits.MaxInvokePayloadBytes : CodeLimits.MaxCreateRequestBytes;
        var tooLarge = isInvoke
            ? $"Request must be smaller than {CodeLimits.MaxInvokePayloadBytes} bytes for the InvokeFunction operation"
            : $"Request must be smaller than {CodeLimits.MaxCreateRequestBytes} bytes for the CreateFunction operation";
        if (request.ContentLength is { } declared)
        {
            if (declared > limit) throw Errors.RequestTooLarge(tooLarge);
            if (declared == 0) return [];
            var buffer = new byte[declared];
            await request.Body.ReadExactlyAsync(buffer, request.HttpContext.RequestAborted);
            return buffer;
        }
        using var copy = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (copy.Length + read > limit) throw Errors.RequestTooLarge(tooLarge);
            copy.Write(chunk, 0, read);
        }
        return copy.ToArray();
    }
}
