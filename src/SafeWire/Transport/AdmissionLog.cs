using System.Globalization;
using System.Net;
using System.Text;

namespace SafeWire.Transport;

internal enum AdmissionEvent
{
    RefusedBusy,
    RefusedAddress,
    Dropped,
    Failed,
}

/// <summary>
/// Rate-limited logging of refusals, drops and failed handshakes: an event after a quiet interval is written as it
/// is; events within the interval after a line are counted and written as one summary line when it ends. A flood
/// of any size writes at most one line per interval (plus one on dispose).
/// </summary>
internal sealed class AdmissionLog(Action<string>? log, TimeProvider time, TimeSpan interval) : IDisposable
{
    private const int MaxTrackedAddresses = 1024;

    private readonly Lock _gate = new();
    private readonly long[] _counts = new long[4];
    private readonly Dictionary<IPAddress, long> _byAddress = [];
    private DateTimeOffset _lastLine = DateTimeOffset.MinValue;
    private string? _lastFailure;
    private ITimer? _timer;
    private bool _disposed;

    public void Record(AdmissionEvent kind, IPEndPoint? remote, string? detail)
    {
        if (log is null)
        {
            return;
        }

        string? line = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = time.GetUtcNow();
            if (now - _lastLine >= interval && _timer is null)
            {
                _lastLine = now;
                line = Single(kind, remote, detail);
            }
            else
            {
                _counts[(int)kind]++;
                if (remote is not null && (_byAddress.ContainsKey(remote.Address) || _byAddress.Count < MaxTrackedAddresses))
                {
                    _byAddress[remote.Address] = _byAddress.GetValueOrDefault(remote.Address) + 1;
                }

                if (kind == AdmissionEvent.Failed)
                {
                    _lastFailure = $"{remote?.ToString() ?? "?"}: {detail}";
                }

                if (_timer is null)
                {
                    var due = _lastLine + interval - now;
                    _timer = time.CreateTimer(_ => Flush(), null, due > TimeSpan.Zero ? due : TimeSpan.FromTicks(1), Timeout.InfiniteTimeSpan);
                }
            }
        }

        if (line is not null)
        {
            log(line);
        }
    }

    public void Dispose()
    {
        Flush();
        lock (_gate)
        {
            _disposed = true;
        }
    }

    private static string Single(AdmissionEvent kind, IPEndPoint? remote, string? detail)
    {
        var who = remote?.ToString() ?? "a client";
        return kind switch
        {
            AdmissionEvent.RefusedBusy => $"{who}: refused: the server is busy (its connection limit is reached)",
            AdmissionEvent.RefusedAddress => $"{who}: refused: too many connections from this address are still in their handshake",
            AdmissionEvent.Dropped => $"{who}: dropped: still in its handshake when a new connection needed its place",
            _ => $"{who}: {detail}",
        };
    }

    private void Flush()
    {
        string? line = null;
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            if (_counts.Any(c => c > 0))
            {
                line = Summary();
                Array.Clear(_counts);
                _byAddress.Clear();
                _lastFailure = null;
                _lastLine = time.GetUtcNow();
            }
        }

        if (line is not null)
        {
            log!(line);
        }
    }

    private string Summary()
    {
        var parts = new List<string>();
        long refused = _counts[(int)AdmissionEvent.RefusedBusy] + _counts[(int)AdmissionEvent.RefusedAddress];
        if (refused > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{refused} connections refused ({_counts[(int)AdmissionEvent.RefusedBusy]} server busy, {_counts[(int)AdmissionEvent.RefusedAddress]} too many from one address)"));
        }

        if (_counts[(int)AdmissionEvent.Dropped] > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{_counts[(int)AdmissionEvent.Dropped]} dropped while still in their handshake"));
        }

        if (_counts[(int)AdmissionEvent.Failed] > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{_counts[(int)AdmissionEvent.Failed]} handshakes or logins failed"));
        }

        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"in the last {interval.TotalSeconds:0.#} s: {string.Join(", ", parts)}"));
        if (_byAddress.Count > 0)
        {
            var top = _byAddress.MaxBy(p => p.Value);
            text.Append(CultureInfo.InvariantCulture, $"; most from {top.Key} ({top.Value})");
        }

        if (_lastFailure is not null)
        {
            text.Append("; last failure: ").Append(_lastFailure);
        }

        return text.ToString();
    }
}
