namespace SafeWire.Enrollment;

/// <summary>
/// Runs a durable step (a file rewrite flushed to disk) for many callers at once: each caller queues its request and
/// awaits; one worker at a time takes everything queued and commits it in one go, in queue order, then answers each
/// caller. Waiting holds no thread, and a burst of joins costs one flush per batch instead of one per join.
/// </summary>
internal sealed class GroupCommit<TRequest, TResult>(Func<IReadOnlyList<TRequest>, IReadOnlyList<TResult>> commit)
{
    private readonly object _gate = new();
    private List<(TRequest Request, TaskCompletionSource<TResult> Done)> _queue = [];
    private bool _running;

    /// <summary>Queues <paramref name="request"/>; completes once the batch holding it is committed (or failed).</summary>
    public Task<TResult> SubmitAsync(TRequest request)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool lead;
        lock (_gate)
        {
            _queue.Add((request, done));
            lead = !_running;
            _running = true;
        }

        if (lead)
        {
            _ = Task.Run(Drain);
        }

        return done.Task;
    }

    private void Drain()
    {
        while (true)
        {
            List<(TRequest Request, TaskCompletionSource<TResult> Done)> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _running = false;
                    return;
                }

                batch = _queue;
                _queue = [];
            }

            try
            {
                var results = commit([.. batch.Select(b => b.Request)]);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(results[i]);
                }
            }
#pragma warning disable CA1031 // every caller of the batch hears of the failure; nothing is swallowed
            catch (Exception e)
#pragma warning restore CA1031
            {
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(e);
                }
            }
        }
    }
}
