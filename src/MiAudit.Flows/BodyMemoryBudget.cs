namespace MiAudit.Flows;

/// <summary>
/// Bounds the body bytes held by a queue of flows: a queue bounded by count alone could hold thousands of 4 MiB captures.
/// A flow that would exceed the budget waits until enough has been released (back-pressure, never a drop); a single
/// flow larger than the whole budget still passes when the queue is empty.
/// </summary>
public sealed class BodyMemoryBudget(long capacity)
{
    private readonly Lock _lock = new();
    private readonly Queue<(long Size, TaskCompletionSource Ready)> _waiting = new();
    private long _used;

    public long Used
    {
        get
        {
            lock (_lock)
            {
                return _used;
            }
        }
    }

    /// <summary>The bytes a flow holds in its captured bodies.</summary>
    public static long SizeOf(Flow flow)
    {
        long size = flow.RequestBody.Bytes.Length + flow.ResponseBody.Bytes.Length;
        foreach (var message in flow.WebSocketMessages)
        {
            size += message.Payload.Bytes.Length;
        }

        return size;
    }

    public ValueTask AcquireAsync(long size)
    {
        lock (_lock)
        {
            if (_waiting.Count == 0 && Fits(size))
            {
                _used += size;
                return ValueTask.CompletedTask;
            }

            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue((size, ready));
            return new ValueTask(ready.Task);
        }
    }

    /// <summary>Takes the size only if it fits now (nobody waiting); for what may be skipped rather than wait.</summary>
    public bool TryAcquire(long size)
    {
        lock (_lock)
        {
            if (_waiting.Count == 0 && Fits(size))
            {
                _used += size;
                return true;
            }

            return false;
        }
    }

    public void Release(long size)
    {
        lock (_lock)
        {
            _used -= size;
            while (_waiting.TryPeek(out var next) && Fits(next.Size))
            {
                _waiting.Dequeue();
                _used += next.Size;
                next.Ready.SetResult();
            }
        }
    }

    private bool Fits(long size) => _used == 0 || _used + size <= capacity;
}
