using Orleans.Concurrency;

namespace Grid.Server.Streams;

/// <summary>
/// Group commit for one shard. Reentrant: appends that arrive while a commit runs wait in <see cref="_pending"/> and go
/// into the next transaction together, so one shard takes thousands of records per second with a few commits.
/// A caller's records are acknowledged only after their transaction committed.
/// </summary>
[Reentrant]
public sealed class ShardWriterGrain(StreamLog log, ILogger<ShardWriterGrain> logger) : Grain, IShardWriterGrain
{
    /// <summary>Rows per transaction; bigger blocks wait for the next one.</summary>
    private const int MaxBlockRecords = 5000;
    private const int MaxConflictRetries = 5;

    private string _streamId = "";
    private int _shard;
    private long? _head;          // null: the shard does not exist (stream deleted)
    private long _lastArrivedMs;  // arrival times never go backwards within a shard, so AT_TIMESTAMP can search by seq
    private readonly List<Waiter> _pending = [];
    private bool _committing;

    private sealed class Waiter(PendingRecord[] records)
    {
        public PendingRecord[] Records { get; } = records;
        public TaskCompletionSource<AppendBlock> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.LastIndexOf('/');
        _streamId = key[..slash];
        _shard = int.Parse(key[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        _head = await log.TryHeadAsync(_streamId, _shard, cancellationToken);
    }

    public Task<AppendBlock> Append(PendingRecord[] records)
    {
        var waiter = new Waiter(records);
        _pending.Add(waiter);
        if (!_committing)
        {
            // One commit loop per activation, on the grain's scheduler; it ends when the queue is empty. Each caller
            // returns as soon as its own block commits, not when the queue drains.
            _committing = true;
            _ = CommitLoopAsync();
        }
        return waiter.Done.Task;
    }

    private async Task CommitLoopAsync()
    {
        try
        {
            while (_pending.Count > 0) await CommitNextBlockAsync();
        }
        finally
        {
            _committing = false;
        }
    }

    private async Task CommitNextBlockAsync()
    {
        var block = new List<Waiter>();
        var count = 0;
        while (_pending.Count > 0 && (block.Count == 0 || count + _pending[0].Records.Length <= MaxBlockRecords))
        {
            block.Add(_pending[0]);
            count += _pending[0].Records.Length;
            _pending.RemoveAt(0);
        }
        var rows = block.Count == 1 ? block[0].Records : block.SelectMany(w => w.Records).ToArray();
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                if (_head is not { } head)
                {
                    Complete(block, new AppendBlock(0, 0)); // FirstSeq 0: the shard is gone
                    return;
                }
                var arrived = Math.Max(log.NowMs(), _lastArrivedMs);
                if (await log.WriteBlockAsync(_streamId, _shard, head, rows, arrived))
                {
                    _head = head + rows.Length;
                    _lastArrivedMs = arrived;
                    var first = head + 1;
                    foreach (var waiter in block)
                    {
                        waiter.Done.TrySetResult(new AppendBlock(first, arrived));
                        first += waiter.Records.Length;
                    }
                    return;
                }
                // Someone else moved the head (a brief duplicate activation after a node failure) or deleted the stream.
                if (attempt >= MaxConflictRetries) throw new InvalidOperationException(
                    $"Shard {_shard} of stream {_streamId} kept changing under its writer; retry the request.");
                logger.LogWarning("Shard writer {Stream}/{Shard}: head moved from {Head}; reloading", _streamId, _shard, head);
                _head = await log.TryHeadAsync(_streamId, _shard);
            }
        }
        catch (Exception e)
        {
            // Nothing of this block was acknowledged; the transaction rolled back (or its outcome is unknown: reload to be sure).
            foreach (var waiter in block) waiter.Done.TrySetException(e);
            try { _head = await log.TryHeadAsync(_streamId, _shard); }
            catch (Exception reload) { logger.LogWarning(reload, "Shard writer {Stream}/{Shard}: reloading the head failed", _streamId, _shard); DeactivateOnIdle(); }
        }
    }

    private static void Complete(List<Waiter> block, AppendBlock result)
    {
        foreach (var waiter in block) waiter.Done.TrySetResult(result);
    }
}
