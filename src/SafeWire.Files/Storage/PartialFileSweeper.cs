namespace SafeWire.Files.Storage;

/// <summary>
/// Removes expired partial uploads under a served root: once in the background when the server starts, then at most
/// once per interval, started by the next upload (so no timer runs while nothing is uploaded, and nothing needs
/// disposing). A partial file is expired when it was last written more than the maximum age ago.
/// </summary>
internal sealed class PartialFileSweeper
{
    private readonly string _root;
    private readonly TimeProvider _clock;
    private readonly Action<string>? _log;
    private readonly TimeSpan _interval;
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;
    private int _running;

    /// <summary>Creates the sweeper and starts a first sweep in the background.</summary>
    public PartialFileSweeper(string root, TimeSpan maxAge, TimeProvider clock, Action<string>? log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        _root = root;
        MaxAge = maxAge;
        _clock = clock;
        _log = log;
        _interval = TimeSpan.FromTicks(Math.Clamp(maxAge.Ticks / 4, TimeSpan.FromMinutes(1).Ticks, TimeSpan.FromHours(1).Ticks));
        SweepInBackgroundIfDue();
    }

    /// <summary>Partial files last written longer ago than this are removed.</summary>
    public TimeSpan MaxAge { get; }

    /// <summary>Starts a sweep on the thread pool unless one ran within the interval or is running.</summary>
    public void SweepInBackgroundIfDue()
    {
        if (_clock.GetUtcNow() - _lastSweep < _interval || Interlocked.CompareExchange(ref _running, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(() =>
        {
            try
            {
                SweepNow();
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
        });
    }

    /// <summary>Removes the expired partial files now; returns their paths.</summary>
    public IReadOnlyList<string> SweepNow()
    {
        var now = _clock.GetUtcNow();
        _lastSweep = now;
        try
        {
            var removed = PartialFile.RemoveExpired(_root, MaxAge, now);
            if (removed.Count > 0)
            {
                _log?.Invoke($"removed {removed.Count} partial upload(s) older than {MaxAge.TotalHours:0.##} h");
            }

            return removed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log?.Invoke("could not remove expired partial uploads: " + e.Message);
            return [];
        }
    }
}
