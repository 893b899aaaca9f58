using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace SafeWire.Soak;

/// <summary>Outcomes and latencies of the legitimate clients' operations in one phase.</summary>
internal sealed class Stats
{
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly ConcurrentQueue<string> _errors = new();
    private int _failures;

    public int Succeeded => _latencies.Count;

    public int Failed => _failures;

    public int Attempts => Succeeded + Failed;

    public IEnumerable<string> FirstErrors => _errors.Take(5);

    public void Success(TimeSpan elapsed) => _latencies.Add(elapsed.TotalMilliseconds);

    public void Failure(string error)
    {
        if (Interlocked.Increment(ref _failures) <= 5)
        {
            _errors.Enqueue(error);
        }
    }

    public string SuccessRate => Attempts == 0 ? "-" : (100.0 * Succeeded / Attempts).ToString("0.0#", CultureInfo.InvariantCulture) + " %";

    /// <summary>The <paramref name="percentile"/> of successful operations' latency in milliseconds (nearest rank).</summary>
    public string Percentile(double percentile)
    {
        var sorted = _latencies.Order().ToArray();
        if (sorted.Length == 0)
        {
            return "-";
        }

        int rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)].ToString("0", CultureInfo.InvariantCulture);
    }

    /// <summary>Runs <paramref name="clients"/> loops of <paramref name="operation"/> until <paramref name="duration"/> has passed; each operation may take <paramref name="timeout"/>.</summary>
    public static async Task<Stats> MeasureAsync(Func<CancellationToken, Task> operation, int clients, TimeSpan duration, TimeSpan timeout)
    {
        var stats = new Stats();
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var loops = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                long start = Stopwatch.GetTimestamp();
                using var cts = new CancellationTokenSource(timeout);
                try
                {
                    await operation(cts.Token).WaitAsync(timeout).ConfigureAwait(false);
                    stats.Success(Stopwatch.GetElapsedTime(start));
                }
#pragma warning disable CA1031 // any failure of a legitimate operation is what is being counted
                catch (Exception e)
#pragma warning restore CA1031
                {
                    stats.Failure(e.GetType().Name + ": " + e.Message);
                }

                await Task.Delay(100).ConfigureAwait(false);
            }
        }));
        await Task.WhenAll(loops).ConfigureAwait(false);
        return stats;
    }
}
