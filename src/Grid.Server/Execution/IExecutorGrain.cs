using Grid.Server.Storage;

namespace Grid.Server.Execution;

/// <summary>
/// A function version's executor. Key "account/name/version/revision": a configuration change is a new key,
/// so warm instances never run stale code. Each activation runs one invocation at a time on one environment; Orleans
/// adds activations while all are busy (scale out), and idle ones end themselves. Between invocations on-demand
/// environments wait in the node's <see cref="WarmPool"/>, where warm invocations take them without a grain call.
/// </summary>
public interface IExecutorGrain : IGrainWithStringKey
{
    [ResponseTimeout("00:16:00")]
    Task<InvokeResult> Invoke(InvokeRequest request);

    /// <summary>
    /// Provisioned concurrency: makes this activation hold a warm environment (initialization type
    /// provisioned-concurrency) that does not idle out; false when it already did or init failed.
    /// </summary>
    Task<bool> Warm(Storage.FunctionRecord function);
}

[GenerateSerializer, Immutable]
public sealed record InvokeRequest(
    [property: Id(0)] FunctionRecord Function,
    [property: Id(1)] string RequestId,
    [property: Id(2)] string InvokedFunctionArn,
    [property: Id(3)] byte[] Payload,
    [property: Id(4)] string? ClientContext,
    [property: Id(5)] string? TraceId,
    [property: Id(6)] bool TailLogs)
{
    public static string ExecutorKey(FunctionRecord f) => $"{f.AccountId}/{f.Name}/{f.Version}/{f.Config.RevisionId}";
}

[GenerateSerializer, Immutable]
public sealed record InvokeResult(
    [property: Id(0)] byte[] Payload,
    [property: Id(1)] string? FunctionError,
    [property: Id(2)] string? LogTail,
    [property: Id(3)] string ExecutedVersion,
    [property: Id(4)] string ContentType);
