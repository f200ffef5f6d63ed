namespace Grid.Server.Execution.RuntimeApi;

/// <summary>
/// One environment's side of the HTTP Runtime API (2018-06-01): the state machine the endpoint handlers drive.
/// Init is done when the runtime first asks for /next; one invocation is outstanding at a time.
/// </summary>
public sealed class HttpRuntimeChannel : IRuntimeChannel
{
    private readonly object _gate = new();
    private readonly TaskCompletionSource<RuntimeReply> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<InvocationEvent>? _nextWaiter;
    private InvocationEvent? _queued;
    private InvocationEvent? _outstanding;
    private TaskCompletionSource<RuntimeReply>? _reply;
    private bool _exited;

    public RuntimeApiListener? Listener { get; set; }

    public Task<RuntimeReply> WaitReadyAsync(CancellationToken ct) => _ready.Task.WaitAsync(ct);

    public Task<RuntimeReply> InvokeAsync(InvocationEvent invocation, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_exited) return Task.FromResult(RuntimeReply.Exited());
            _reply = new TaskCompletionSource<RuntimeReply>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_nextWaiter is { } waiter)
            {
                _nextWaiter = null;
                _outstanding = invocation;
                waiter.TrySetResult(invocation);
            }
            else
            {
                _queued = invocation;
            }
            return _reply.Task.WaitAsync(ct);
        }
    }

    /// <summary>GET /runtime/invocation/next. Null means the request is refused (an invocation is still outstanding).</summary>
    public Task<InvocationEvent>? Next()
    {
        lock (_gate)
        {
            _ready.TrySetResult(new RuntimeReply(ReplyKind.Ready, []));
            if (_outstanding is not null) return null;
            if (_queued is { } queued)
            {
                _queued = null;
                _outstanding = queued;
                return Task.FromResult(queued);
            }
            _nextWaiter = new TaskCompletionSource<InvocationEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _nextWaiter.Task;
        }
    }

    /// <summary>/response or /error for <paramref name="requestId"/>; false if that id is not the outstanding one.</summary>
    public bool Complete(string requestId, RuntimeReply reply)
    {
        lock (_gate)
        {
            if (_outstanding is null || _outstanding.RequestId != requestId) return false;
            _outstanding = null;
            _reply?.TrySetResult(reply);
            return true;
        }
    }

    /// <summary>POST /runtime/init/error.</summary>
    public void InitFailed(RuntimeReply reply)
    {
        _ready.TrySetResult(reply);
        lock (_gate) _reply?.TrySetResult(reply);
    }

    public void OnExited()
    {
        lock (_gate)
        {
            _exited = true;
            _ready.TrySetResult(RuntimeReply.Exited());
            _reply?.TrySetResult(RuntimeReply.Exited());
            _nextWaiter?.TrySetCanceled();
        }
    }

    public ValueTask DisposeAsync()
    {
        OnExited();
        Listener?.Dispose();
        return ValueTask.CompletedTask;
    }
}
