using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Grid.Server.Telemetry;

namespace Grid.Server.Execution;

/// <summary>
/// Runs one invocation on an environment (starting one when there is none) and accounts for it: Lambda's START/END/REPORT
/// log lines, metrics, usage. Shared by the two ways in: a warm environment rented from <see cref="WarmPool"/> on the
/// caller's thread, and an executor grain activation (cold starts, provisioned environments).
/// </summary>
public sealed class InvocationRunner(EnvironmentFactory factory, InvocationLogStore logStore, GridMetrics metrics, UsageMeter usage)
{
    private readonly ConcurrentDictionary<string, byte> _registered = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="request"/> on <paramref name="environment"/> (or a new one when it is null or ended) and returns
    /// the result with the environment to keep warm: null when it ended (timeout, crash, init failure).
    /// <paramref name="key"/> is the request's <see cref="InvokeRequest.ExecutorKey"/>, which the caller already has.
    /// </summary>
    public async Task<(InvokeResult Result, ExecutionEnvironment? Environment)> RunAsync(string key, InvokeRequest request, ExecutionEnvironment? environment)
    {
        if (_registered.TryAdd(key, 0)) metrics.Register(request.Function);
        metrics.Started(request.Function);
        using var span = GridTracing.Source.StartActivity("invoke " + request.Function.Name);
        span?.SetTag("faas.invocation_id", request.RequestId);
        span?.SetTag("faas.version", request.Function.Version);
        try
        {
            return await InvokeAsync(request, environment);
        }
        finally
        {
            metrics.Ended(request.Function);
        }
    }

    private async Task<(InvokeResult, ExecutionEnvironment?)> InvokeAsync(InvokeRequest request, ExecutionEnvironment? env)
    {
        var log = new StringBuilder(512);
        var initLog = new StringBuilder();
        double? initMs = null;

        if (env is null || env.HasExited)
        {
            if (env is not null) await env.DisposeAsync();
            ExecutionEnvironment started;
            RuntimeReply init;
            try
            {
                (started, init) = await factory.StartAsync(request.Function);
            }
            catch (InitFailureException e)
            {
                return (InitFailed(request, initLog, log, e.ErrorType, ErrorJson(e.ErrorType, $"RequestId: {request.RequestId} Error: {e.Message}"), 0, 0), null);
            }
            initMs = started.InitDurationMs;
            if (init.Kind != ReplyKind.Ready)
            {
                // A runtime exits after reporting an init error: keep what it printed on the way out.
                await Task.Run(() => started.Logs.WaitForEnd(TimeSpan.FromMilliseconds(500)));
                initLog.Append(started.Logs.TakePhase());
                var (exitType, exitText) = started.ExitReason();
                var memoryMb = started.MaxMemoryUsedMb(); // read before the cgroup goes away
                await started.DisposeAsync();
                var errorType = init.ErrorType ?? ErrorTypeOf(init.Body) ?? exitType;
                var body = init.Kind == ReplyKind.InitError ? init.Body : ErrorJson(exitType, $"RequestId: {request.RequestId} Error: {exitText}");
                return (InitFailed(request, initLog, log, errorType, body, initMs.Value, memoryMb), null);
            }
            initLog.Append(started.Logs.TakePhase());
            env = started;
        }

        try
        {
            return await RunOnAsync(env, request, initLog, log, initMs);
        }
        catch
        {
            await env.DisposeAsync(); // in an unknown state: never back to the pool, and never left running
            throw;
        }
    }

    private async Task<(InvokeResult, ExecutionEnvironment?)> RunOnAsync(ExecutionEnvironment env, InvokeRequest request, StringBuilder initLog,
        StringBuilder log, double? initMs)
    {
        var config = request.Function.Config;
        var invocation = new InvocationEvent(request.RequestId,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + config.Timeout * 1000L,
            request.InvokedFunctionArn, request.TraceId, request.ClientContext, null, request.Payload);
        var outcome = await env.InvokeAsync(invocation, TimeSpan.FromSeconds(config.Timeout));
        log.Append(outcome.Logs);
        var memory = env.MaxMemoryUsedMb();

        switch (outcome.Kind)
        {
            case OutcomeKind.Success:
                return (Finish(request, initLog, log, outcome.Body, null, outcome.ContentType ?? "application/json", outcome.DurationMs, initMs, null, null, memory), env);
            case OutcomeKind.FunctionError:
                return (Finish(request, initLog, log, outcome.Body, "Unhandled", "application/json", outcome.DurationMs, initMs, "error",
                    outcome.ErrorType ?? ErrorTypeOf(outcome.Body), memory), env);
            case OutcomeKind.ResponseTooLarge:
                return (Finish(request, initLog, log, ErrorJson("Function.ResponseSizeTooLarge",
                        $"Response payload size exceeded maximum allowed payload size ({Model.CodeLimits.MaxResponseBytes} bytes)."),
                    "Unhandled", "application/json", outcome.DurationMs, initMs, "error", "Function.ResponseSizeTooLarge", memory), env);
            case OutcomeKind.Timeout:
            {
                var seconds = config.Timeout.ToString("0.00", CultureInfo.InvariantCulture);
                log.Append(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {request.RequestId} Task timed out after {seconds} seconds\n");
                await env.DisposeAsync();
                return (Finish(request, initLog, log, ErrorJson("Sandbox.Timedout", $"RequestId: {request.RequestId} Error: Task timed out after {seconds} seconds"),
                    "Unhandled", "application/json", outcome.DurationMs, initMs, "timeout", null, memory), null);
            }
            default:
            {
                var (type, text) = env.ExitReason();
                await env.DisposeAsync();
                return (Finish(request, initLog, log, ErrorJson(type, $"RequestId: {request.RequestId} Error: {text}"),
                    "Unhandled", "application/json", outcome.DurationMs, initMs, "error", type, memory), null);
            }
        }
    }

    private InvokeResult InitFailed(InvokeRequest request, StringBuilder initLog, StringBuilder log, string errorType, byte[] body,
        double initMs, int memoryMb)
    {
        initLog.Append(CultureInfo.InvariantCulture, $"INIT_REPORT Init Duration: {initMs:0.00} ms\tPhase: init\tStatus: error\tError Type: {errorType}\n");
        return Finish(request, initLog, log, body, "Unhandled", "application/json", 0, initMs, "error", errorType, memoryMb);
    }

    private InvokeResult Finish(InvokeRequest request, StringBuilder initLog, StringBuilder body, byte[] payload, string? functionError, string contentType,
        double durationMs, double? initMs, string? status, string? errorType, int memoryMb)
    {
        var config = request.Function.Config;
        var billed = (long)Math.Ceiling(durationMs + (initMs ?? 0));
        var text = new StringBuilder(body.Length + 256);
        var functionOutput = body.ToString();
        // Init output comes before START, as on Lambda.
        text.Append(initLog);
        if (initLog.Length > 0 && initLog[^1] != '\n') text.Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"START RequestId: {request.RequestId} Version: {config.Version}\n");
        text.Append(functionOutput);
        if (functionOutput.Length > 0 && functionOutput[^1] != '\n') text.Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"END RequestId: {request.RequestId}\n");
        text.Append(CultureInfo.InvariantCulture,
            $"REPORT RequestId: {request.RequestId}\tDuration: {durationMs:0.00} ms\tBilled Duration: {Math.Max(billed, 1)} ms\tMemory Size: {config.MemorySize} MB\tMax Memory Used: {memoryMb} MB\t");
        if (initMs is { } init) text.Append(CultureInfo.InvariantCulture, $"Init Duration: {init:0.00} ms\t");
        if (status is not null) text.Append("Status: ").Append(status).Append('\t');
        if (errorType is not null && status == "error") text.Append("Error Type: ").Append(errorType).Append('\t');
        text.Append('\n');
        var log = text.ToString();
        logStore.Append(request.Function.AccountId, config.FunctionName, request.RequestId, log);
        metrics.Finished(request.Function, durationMs, initMs, status is null ? null : errorType ?? status);
        usage.Record(request.Function.AccountId, config.FunctionName, Math.Max(billed, 1), config.MemorySize);
        string? tail = null;
        if (request.TailLogs)
        {
            var bytes = Encoding.UTF8.GetBytes(log);
            tail = Convert.ToBase64String(bytes, Math.Max(0, bytes.Length - 4096), Math.Min(bytes.Length, 4096));
        }
        return new InvokeResult(payload, functionError, tail, config.Version, contentType);
    }

    private static byte[] ErrorJson(string type, string message) =>
        Encoding.UTF8.GetBytes($"{{\"errorType\":{System.Text.Json.JsonSerializer.Serialize(type)},\"errorMessage\":{System.Text.Json.JsonSerializer.Serialize(message)}}}");

    private static string? ErrorTypeOf(byte[] body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("errorType", out var t) ? t.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
