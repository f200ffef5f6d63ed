using System.Globalization;
using System.Text;
using Grid.Server.Hosting;
using Grid.Server.Telemetry;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Grid.Server.Execution;

[StatelessWorker(MaxInstancesPerNode, removeIdleWorkers: false)]
[Orleans.Dashboard.NoProfiling] // the hot path: GridMetrics measures invocations, the dashboard's profiler would add a filter per call
public sealed class ExecutorGrain(EnvironmentFactory factory, InvocationLogStore logStore, GridMetrics metrics, UsageMeter usage,
    ProvisionedRegistry provisioned, IOptions<GridOptions> options, ILogger<ExecutorGrain> logger) : Grain, IExecutorGrain
{
    /// <summary>Upper bound of warm instances of one function version on one node (concurrency controls cap below it).</summary>
    public const int MaxInstancesPerNode = 1000;

    private ExecutionEnvironment? _environment;
    private DateTime _lastUsed = DateTime.UtcNow;
    private bool _registered;
    private Storage.FunctionRecord? _provisioned; // set while this activation is one of its node's provisioned environments

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var idle = options.Value.IdleEnvironmentTimeout;
        var period = TimeSpan.FromMilliseconds(Math.Clamp(idle.TotalMilliseconds / 4, 100, 30_000));
        this.RegisterGrainTimer(ReleaseIfIdle, new GrainTimerCreationOptions(period, period) { Interleave = false });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_provisioned is not null) provisioned.Leave(InvokeRequest.ExecutorKey(_provisioned));
        _provisioned = null;
        if (_environment is not null)
        {
            logger.LogInformation("Ending environment {Id} of {Function}: {Reason}", _environment.Id, this.GetPrimaryKeyString(), reason);
            await _environment.DisposeAsync();
        }
        _environment = null;
    }

    async Task<InvokeResult> IExecutorGrain.Invoke(InvokeRequest request)
    {
        if (!_registered)
        {
            metrics.Register(request.Function);
            _registered = true;
        }
        metrics.Started(request.Function);
        using var span = GridTracing.Source.StartActivity("invoke " + request.Function.Name);
        span?.SetTag("faas.invocation_id", request.RequestId);
        span?.SetTag("faas.version", request.Function.Version);
        try
        {
            return await InvokeAsync(request);
        }
        finally
        {
            metrics.Ended(request.Function);
        }
    }

    private async Task<InvokeResult> InvokeAsync(InvokeRequest request)
    {
        var config = request.Function.Config;
        var log = new StringBuilder(512);
        var initLog = new StringBuilder();
        double? initMs = null;
        _lastUsed = DateTime.UtcNow;

        if (_environment is null || _environment.HasExited)
        {
            if (_environment is not null) await _environment.DisposeAsync();
            _environment = null;
            ExecutionEnvironment environment;
            RuntimeReply init;
            try
            {
                (environment, init) = await factory.StartAsync(request.Function);
            }
            catch (InitFailureException e)
            {
                return InitFailed(request, initLog, log, e.ErrorType, ErrorJson(e.ErrorType, $"RequestId: {request.RequestId} Error: {e.Message}"), 0, 0);
            }
            initMs = environment.InitDurationMs;
            if (init.Kind != ReplyKind.Ready)
            {
                // A runtime exits after reporting an init error: keep what it printed on the way out.
                await Task.Run(() => environment.Logs.WaitForEnd(TimeSpan.FromMilliseconds(500)));
                initLog.Append(environment.Logs.TakePhase());
                var (exitType, exitText) = environment.ExitReason();
                var memoryMb = environment.MaxMemoryUsedMb(); // read before the cgroup goes away
                await environment.DisposeAsync();
                var errorType = init.ErrorType ?? ErrorTypeOf(init.Body) ?? exitType;
                var body = init.Kind == ReplyKind.InitError ? init.Body : ErrorJson(exitType, $"RequestId: {request.RequestId} Error: {exitText}");
                return InitFailed(request, initLog, log, errorType, body, initMs.Value, memoryMb);
            }
            initLog.Append(environment.Logs.TakePhase());
            _environment = environment;
        }

        var env = _environment;
        var invocation = new InvocationEvent(request.RequestId,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + config.Timeout * 1000L,
            request.InvokedFunctionArn, request.TraceId, request.ClientContext, null, request.Payload);
        var outcome = await env.InvokeAsync(invocation, TimeSpan.FromSeconds(config.Timeout));
        _lastUsed = DateTime.UtcNow;
        log.Append(outcome.Logs);
        var memory = env.MaxMemoryUsedMb();

        switch (outcome.Kind)
        {
            case OutcomeKind.Success:
                return Finish(request, initLog, log, outcome.Body, null, outcome.ContentType ?? "application/json", outcome.DurationMs, initMs, null, null, memory);
            case OutcomeKind.FunctionError:
                return Finish(request, initLog, log, outcome.Body, "Unhandled", "application/json", outcome.DurationMs, initMs, "error", outcome.ErrorType ?? ErrorTypeOf(outcome.Body), memory);
            case OutcomeKind.ResponseTooLarge:
                return Finish(request, initLog, log, ErrorJson("Function.ResponseSizeTooLarge",
                        $"Response payload size exceeded maximum allowed payload size ({Model.CodeLimits.MaxResponseBytes} bytes)."),
                    "Unhandled", "application/json", outcome.DurationMs, initMs, "error", "Function.ResponseSizeTooLarge", memory);
            case OutcomeKind.Timeout:
            {
                var seconds = config.Timeout.ToString("0.00", CultureInfo.InvariantCulture);
                log.Append(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {request.RequestId} Task timed out after {seconds} seconds\n");
                await DiscardEnvironmentAsync();
                return Finish(request, initLog, log, ErrorJson("Sandbox.Timedout", $"RequestId: {request.RequestId} Error: Task timed out after {seconds} seconds"),
                    "Unhandled", "application/json", outcome.DurationMs, initMs, "timeout", null, memory);
            }
            default:
            {
                var (type, text) = env.ExitReason();
                await DiscardEnvironmentAsync();
                return Finish(request, initLog, log, ErrorJson(type, $"RequestId: {request.RequestId} Error: {text}"),
                    "Unhandled", "application/json", outcome.DurationMs, initMs, "error", type, memory);
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

    private async Task DiscardEnvironmentAsync()
    {
        if (_environment is not null) await _environment.DisposeAsync();
        _environment = null;
    }

    async Task<bool> IExecutorGrain.Warm(Storage.FunctionRecord function)
    {
        if (_provisioned is not null) return false;
        if (!await StartProvisionedAsync(function)) return false;
        _provisioned = function;
        provisioned.Join(InvokeRequest.ExecutorKey(function));
        _lastUsed = DateTime.UtcNow;
        return true;
    }

    /// <summary>Starts (or keeps) the environment ahead of any invocation; its init output goes to the function's log.</summary>
    private async Task<bool> StartProvisionedAsync(Storage.FunctionRecord function)
    {
        if (_environment is { HasExited: false }) return true;
        await DiscardEnvironmentAsync();
        try
        {
            var (environment, init) = await factory.StartAsync(function, "provisioned-concurrency");
            var output = environment.Logs.TakePhase();
            var status = init.Kind == ReplyKind.Ready ? "" : "\tStatus: error";
            logStore.Append(function.AccountId, function.Name, "init-" + environment.Id,
                $"{output}INIT_REPORT Init Duration: {environment.InitDurationMs.ToString("0.00", CultureInfo.InvariantCulture)} ms\tPhase: init{status}\n");
            if (init.Kind != ReplyKind.Ready)
            {
                await environment.DisposeAsync();
                return false;
            }
            _environment = environment;
            return true;
        }
        catch (Exception e) when (e is InitFailureException or Api.LambdaException)
        {
            logger.LogWarning("Provisioned environment of {Function} did not start: {Message}", function.Key, e.Message);
            return false;
        }
    }

    private async Task ReleaseIfIdle(CancellationToken ct)
    {
        if (_provisioned is not null)
        {
            var key = InvokeRequest.ExecutorKey(_provisioned);
            if (!provisioned.LeaveIfSurplus(key))
            {
                // Still wanted: stay warm, and replace an environment that ended (crash, timeout).
                await StartProvisionedAsync(_provisioned);
                return;
            }
            _provisioned = null; // now an on-demand environment: it idles out like any other
        }
        if (DateTime.UtcNow - _lastUsed < options.Value.IdleEnvironmentTimeout) return;
        if (_environment is not null)
        {
            logger.LogDebug("Releasing idle environment {Id}", _environment.Id);
            await DiscardEnvironmentAsync();
        }
        DeactivateOnIdle();
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
