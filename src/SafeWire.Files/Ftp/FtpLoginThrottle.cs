using System.Net;

namespace SafeWire.Files.Ftp;

/// <summary>
/// Failed logins across connections, per client address and per account name (known or not, so a refusal says
/// nothing about which names exist). After the n-th failure in a row the address and the name each wait
/// base × 2^(n−1), at most <c>max</c>; a login tried while either waits is refused at once, without running PBKDF2.
/// A successful login clears both, and makes the address familiar for that account for <see cref="FamiliarFor"/>:
/// from a familiar address only the address's own wait applies, so a flood of wrong passwords for a name from
/// elsewhere cannot lock its real user out. A key quiet for <c>max</c> after its wait is forgotten. At most
/// <see cref="MaxEntries"/> keys (and as many familiar pairs) are kept (the quietest are dropped first), so spraying
/// names or addresses cannot grow memory without bound.
/// </summary>
internal sealed class FtpLoginThrottle(TimeSpan backoff, TimeSpan maxBackoff, TimeProvider clock)
{
    public const int MaxEntries = 20_000;

    /// <summary>How long an address that logged in to an account stays exempt from that account's wait.</summary>
    public static readonly TimeSpan FamiliarFor = TimeSpan.FromDays(30);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _familiar = new(StringComparer.Ordinal); // "account\naddress" → until

    /// <summary>How long <paramref name="address"/> or <paramref name="account"/> must still wait; zero when a login may be tried.</summary>
    public TimeSpan WaitBeforeLogin(IPAddress address, string account)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            var wait = TimeSpan.Zero;
            var keys = Keys(address, account);
            if (_familiar.TryGetValue(FamiliarKey(address, account), out var until) && until > now)
            {
                keys = keys[..1]; // the address's own wait only
            }

            foreach (var key in keys)
            {
                if (_entries.TryGetValue(key, out var entry) && entry.Until > now && entry.Until - now > wait)
                {
                    wait = entry.Until - now;
                }
            }

            return wait;
        }
    }

    /// <summary>Records a failed login; returns how long the next try from this address or for this name must wait.</summary>
    public TimeSpan Failed(IPAddress address, string account)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            Prune(now);
            var longest = TimeSpan.Zero;
            foreach (var key in Keys(address, account))
            {
                var failures = _entries.TryGetValue(key, out var entry) && now - entry.Until < maxBackoff ? entry.Failures + 1 : 1;
                var wait = Delay(failures);
                _entries[key] = new Entry(failures, now + wait);
                longest = wait > longest ? wait : longest;
            }

            return longest;
        }
    }

    /// <summary>A login succeeded: the address and the account start afresh.</summary>
    public void Succeeded(IPAddress address, string account)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            foreach (var key in Keys(address, account))
            {
                _entries.Remove(key);
            }

            if (_familiar.Count >= MaxEntries)
            {
                foreach (var key in _familiar.OrderBy(e => e.Value).Take(_familiar.Count - (MaxEntries * 9 / 10)).Select(e => e.Key).ToList())
                {
                    _familiar.Remove(key);
                }
            }

            _familiar[FamiliarKey(address, account)] = now + FamiliarFor;
        }
    }

    private static string FamiliarKey(IPAddress address, string account) =>
        account + "\n" + (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static string[] Keys(IPAddress address, string account)
    {
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return ["address " + normalized, "account " + account];
    }

    private TimeSpan Delay(int failures)
    {
        if (backoff <= TimeSpan.Zero)
        {
            return TimeSpan.Zero; // throttling switched off
        }

        // base × 2^(failures−1) without overflow: past 30 doublings every sane maximum is reached.
        var doublings = Math.Min(failures - 1, 30);
        var ticks = backoff.Ticks * (1L << doublings);
        return ticks <= 0 || ticks > maxBackoff.Ticks ? maxBackoff : TimeSpan.FromTicks(ticks);
    }

    private void Prune(DateTimeOffset now)
    {
        if (_entries.Count < MaxEntries)
        {
            return;
        }

        foreach (var (key, entry) in _entries.ToList())
        {
            if (now - entry.Until >= maxBackoff)
            {
                _entries.Remove(key);
            }
        }

        // Still full: drop the entries whose wait ends first (the least suspicious) until a tenth is free.
        if (_entries.Count >= MaxEntries)
        {
            foreach (var key in _entries.OrderBy(e => e.Value.Until).Take(_entries.Count - (MaxEntries * 9 / 10)).Select(e => e.Key).ToList())
            {
                _entries.Remove(key);
            }
        }
    }

    private readonly record struct Entry(int Failures, DateTimeOffset Until);
}
