using Grid.Server.Streams;
using Grid.Server.Triggers.Mappings;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Grid.Server.Triggers.Delivery;

/// <summary>
/// Processes one shard for one event source mapping, in order, at least once. Batches come from the "grid-shards" provider
/// (implicit subscription); the checkpoint in <c>grid_esm_checkpoints</c> is the truth:
/// <list type="bullet">
/// <item>records at or below what it already accepted are duplicates (a queue that moved to another node starts again at
/// the checkpoint) and are skipped;</item>
/// <item>a batch starting past the next expected seq, or a heartbeat naming a later seq, means batches were lost (an earlier
/// activation died holding them, or the agent gave up delivering): the missing range is read from the log first;</item>
/// <item>each batch goes through <see cref="BatchProcessor"/> (lanes by partition key when ParallelizationFactor &gt; 1),
/// then the checkpoint moves to its last seq. A batch cut short by the node stopping is not checkpointed.</item>
/// </list>
/// Work runs in an ordered loop inside the activation; a delivery call waits for the backlog at most
/// <see cref="DeliveryOptions.DeliveryWait"/>, so a long-running function never trips the agent's call timeout and the
/// agent's next call brings the next batch as soon as there is room.
/// </summary>
[ImplicitStreamSubscription(ShardStreams.Namespace)]
[PreferLocalPlacement]
public sealed class ShardConsumerGrain(
    StreamLog log,
    MappingStore mappings,
    BatchProcessor processor,
    CheckpointStore checkpoints,
    Telemetry.GridMetrics metrics,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<ShardConsumerGrain> logger) : Grain, IShardConsumerGrain, IStreamSubscriptionObserver, IAsyncObserver<ShardBatch>
{
    private static readonly TimeSpan MappingRefresh = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private string _uuid = "";
    private int _shard;
    private long _checkpoint;      // finished (in the database)
    private long _acceptedUpTo;    // queued for processing, in memory
    private readonly Queue<Work> _work = new();
    private Task _loop = Task.CompletedTask;
    private TaskCompletionSource _progress = NewSignal();
    private CancellationTokenSource _stopping = new();
    private MappingSnapshot? _mapping;
    private DateTimeOffset _mappingReadAt = DateTimeOffset.MinValue;

    /// <summary>Records to process, or (Records null) a range (After, UpTo] to read from the log first.</summary>
    private sealed class Work(StreamRecord[]? records, long after, long upTo)
    {
        public StreamRecord[]? Records { get; } = records;
        public long After { get; set; } = after;
        public long UpTo { get; } = upTo;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_uuid, _shard) = ShardStreams.Parse(this.GetPrimaryKeyString());
        _stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        _checkpoint = await checkpoints.GetAsync(_uuid, _shard, cancellationToken);
        _acceptedUpTo = _checkpoint;
    }

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<ShardBatch>().ResumeAsync(this);

    public async Task OnNextAsync(ShardBatch item, StreamSequenceToken? token = null)
    {
        if (_stopping.IsCancellationRequested) return; // not accepted: whoever takes this shard next reads it from the checkpoint
        Accept(item);
        if (_work.Count > 0 && _loop.IsCompleted) _loop = RunAsync();

        // Back-pressure for the agent: return once at most the batch being processed is left, or after the wait limit.
        var deadline = Task.Delay(options.Value.DeliveryWait);
        while (_work.Count > 1 && !_loop.IsCompleted && !deadline.IsCompleted)
        {
            await Task.WhenAny(_progress.Task, deadline, _loop);
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    private void Accept(ShardBatch batch)
    {
        var records = batch.Records;
        var first = Array.FindIndex(records, r => r.Seq > _acceptedUpTo);
        if (first >= 0)
        {
            if (records[first].Seq > _acceptedUpTo + 1) Enqueue(new Work(null, _acceptedUpTo, records[first].Seq - 1));
            Enqueue(new Work(first == 0 ? records : records[first..], 0, records[^1].Seq));
        }
        if (batch.UpToSeq > _acceptedUpTo) Enqueue(new Work(null, _acceptedUpTo, batch.UpToSeq));
    }

    private void Enqueue(Work work)
    {
        _work.Enqueue(work);
        _acceptedUpTo = work.UpTo;
    }

    private async Task RunAsync()
    {
        DelayDeactivation(TimeSpan.FromHours(1)); // keep the activation (and the batches in memory) while there is work
        try
        {
            var ct = _stopping.Token;
            while (_work.Count > 0 && !ct.IsCancellationRequested)
            {
                try
                {
                    await ProcessNextAsync(ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "Mapping {Mapping} shard {Shard}: processing after seq {Checkpoint} failed; retrying in {Delay}",
                        _uuid, _shard, _checkpoint, RetryDelay);
                    await Task.Delay(RetryDelay, ct).ContinueWith(_ => { }, TaskScheduler.Current);
                }
            }
        }
        finally
        {
            DelayDeactivation(TimeSpan.FromSeconds(-1));
            Signal();
        }
    }

    private async Task ProcessNextAsync(CancellationToken ct)
    {
        var mapping = await CurrentMappingAsync(ct);
        if (mapping is null || !mapping.Enabled)
        {
            // Disabled or deleted: drop what is queued; if it comes back, its queue starts again at the checkpoint.
            _work.Clear();
            _acceptedUpTo = _checkpoint;
            return;
        }

        var work = _work.Peek();
        IReadOnlyList<StreamRecord> records;
        if (work.Records is { } given)
        {
            records = given;
        }
        else
        {
            var max = (int)Math.Min(ShardQueueReceiver.MaxRecords(mapping), work.UpTo - work.After);
            records = (await log.ReadAsync(mapping.StreamId, _shard, work.After, max, ct)).Where(r => r.Seq <= work.UpTo).ToList();
            if (records.Count == 0)
            {
                _work.Dequeue(); // trimmed by retention: nothing left of that range
                return;
            }
        }

        metrics.MappingBatchStarted(mapping.AccountId, mapping.FunctionName, _uuid,
            Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds() - records[^1].ArrivedMs) / 1000.0);
        await ProcessAsync(mapping, records, ct);
        var last = records[^1].Seq;
        await checkpoints.AdvanceAsync(_uuid, _shard, last, ct);
        metrics.MappingRecordsFinished(mapping.AccountId, mapping.FunctionName, _uuid, records.Count);
        _checkpoint = last;
        if (work.Records is not null || last >= work.UpTo) _work.Dequeue();
        else work.After = last;
        Signal();
    }

    private async Task ProcessAsync(MappingSnapshot mapping, IReadOnlyList<StreamRecord> records, CancellationToken ct)
    {
        var lanes = PartitionLanes.Split(records, r => r.PartitionKey, mapping.Settings.ParallelizationFactor);
        if (lanes.Count == 1)
        {
            await ProcessLaneAsync(mapping, lanes[0], ct);
            return;
        }
        await Task.WhenAll(lanes.Select(lane => ProcessLaneAsync(mapping, lane, ct)));
    }

    private async Task ProcessLaneAsync(MappingSnapshot mapping, IReadOnlyList<StreamRecord> lane, CancellationToken ct)
    {
        var size = Math.Max(1, mapping.Settings.BatchSize);
        for (var i = 0; i < lane.Count; i += size)
        {
            var chunk = i == 0 && lane.Count <= size ? lane : lane.Skip(i).Take(size).ToList();
            await processor.ProcessAsync(mapping, _shard, chunk, ct);
        }
    }

    private async Task<MappingSnapshot?> CurrentMappingAsync(CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        if (_mapping is null || now - _mappingReadAt >= MappingRefresh)
        {
            _mapping = await mappings.GetAsync(_uuid, ct);
            _mappingReadAt = now;
        }
        return _mapping;
    }

    private void Signal()
    {
        var done = _progress;
        _progress = NewSignal();
        done.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Unfinished batches are not checkpointed: the next activation (here or on another node) redoes them.
        await _stopping.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Current);
        _stopping.Dispose();
    }
}
