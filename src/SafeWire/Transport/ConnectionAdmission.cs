using System.Collections.Concurrent;
using System.Net;

namespace SafeWire.Transport;

/// <summary>What <see cref="ConnectionAdmission.TryAdmit"/> decided.</summary>
internal enum AdmissionResult
{
    /// <summary>Admitted: the caller owns the lease.</summary>
    Admitted,

    /// <summary>Refused: too many connections from this address are still in their handshake.</summary>
    TooManyFromAddress,

    /// <summary>Refused: the server already serves its maximum of authenticated connections.</summary>
    ServerFull,

    /// <summary>Refused: the server is stopping.</summary>
    Stopping,
}

/// <summary>
/// Connection admission and tracking for one server, in the manner of Kestrel's connection manager: it knows every
/// open connection (as a <see cref="ConnectionLease"/>), caps unauthenticated connections per address and overall,
/// drops an unauthenticated connection when a newcomer needs its place (one that showed no progress, from the address
/// holding the most places, first), caps authenticated ones,
/// and logs refusals, drops and failures as at most one summary line per interval.
/// Thread-safe; every server (and the FTP server's control connections) uses one.
/// </summary>
public sealed class ConnectionAdmission : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LinkedList<ConnectionLease> _pending = new(); // oldest first
    private readonly Dictionary<IPAddress, int> _pendingByAddress = [];
    private readonly ConcurrentDictionary<long, ConnectionLease> _open = new();
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AdmissionLog _log;
    private long _nextId;
    private int _established;
    private bool _stopping;
    private long _refused;
    private long _dropped;

    /// <summary>Creates the policy's state; <paramref name="options"/> is copied.</summary>
    internal ConnectionAdmission(AdmissionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options.Clone();
        _log = new AdmissionLog(Options.Log, Options.TimeProvider, Options.LogInterval);
    }

    /// <summary>The policy in force (a copy of the one given).</summary>
    public AdmissionOptions Options { get; }

    /// <summary>Every open connection, authenticated or not.</summary>
    public int OpenConnections => _open.Count;

    /// <summary>Connections still in their handshake or login.</summary>
    public int PendingConnections
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Connections that authenticated and are being served.</summary>
    public int AuthenticatedConnections => Volatile.Read(ref _established);

    /// <summary>Connections refused so far (busy, too many from one address, stopping).</summary>
    public long RefusedConnections => Interlocked.Read(ref _refused);

    /// <summary>Unauthenticated connections dropped so far to make room for newcomers.</summary>
    public long DroppedConnections => Interlocked.Read(ref _dropped);

    /// <summary>A snapshot of the open connections.</summary>
    public IReadOnlyList<ConnectionLease> Connections => [.. _open.Values.OrderBy(c => c.Id)];

    /// <summary>
    /// Decides on a connection just accepted from <paramref name="remote"/>. When admitted, the caller owns the
    /// lease and disposes it when the connection closes (in a <c>finally</c>); when refused, the caller tells the
    /// peer (server busy) and closes. A refusal is logged here, rate-limited.
    /// </summary>
    internal AdmissionResult TryAdmit(IPEndPoint? remote, out ConnectionLease? lease)
    {
        lease = null;
        ConnectionLease? dropped = null;
        AdmissionResult result;
        var address = Normalize(remote?.Address);
        lock (_gate)
        {
            if (_stopping)
            {
                result = AdmissionResult.Stopping;
            }
            else if (_established >= Options.MaxConnections)
            {
                result = AdmissionResult.ServerFull;
            }
            else if (address is not null && _pendingByAddress.GetValueOrDefault(address) >= Options.MaxPendingPerAddress)
            {
                result = AdmissionResult.TooManyFromAddress;
            }
            else
            {
                if (_pending.Count >= Options.MaxPendingConnections)
                {
                    dropped = VictimLocked();
                    RemovePendingLocked(dropped);
                }

                lease = new ConnectionLease(this, ++_nextId, remote, address, Options.TimeProvider.GetUtcNow());
                lease.Node = _pending.AddLast(lease);
                if (address is not null)
                {
                    _pendingByAddress[address] = _pendingByAddress.GetValueOrDefault(address) + 1;
                }

                _open[lease.Id] = lease;
                result = AdmissionResult.Admitted;
            }
        }

        if (dropped is not null)
        {
            Interlocked.Increment(ref _dropped);
            dropped.Abort();
            _log.Record(AdmissionEvent.Dropped, dropped.RemoteEndPoint, null);
        }

        if (result != AdmissionResult.Admitted)
        {
            Interlocked.Increment(ref _refused);
            _log.Record(result == AdmissionResult.TooManyFromAddress ? AdmissionEvent.RefusedAddress : AdmissionEvent.RefusedBusy, remote, null);
        }

        return result;
    }

    /// <summary>Logs (rate-limited) a connection that failed its handshake or login: <paramref name="reason"/> says why.</summary>
    internal void ReportFailure(IPEndPoint? remote, string reason) => _log.Record(AdmissionEvent.Failed, remote, reason);

    /// <summary>Stops admitting and aborts every connection still in its handshake (authenticated ones are the server's to end).</summary>
    internal void BeginStop()
    {
        ConnectionLease[] pending;
        lock (_gate)
        {
            _stopping = true;
            pending = [.. _pending];
            if (_open.IsEmpty)
            {
                _allClosed.TrySetResult();
            }
        }

        foreach (var lease in pending)
        {
            lease.Abort();
        }
    }

    /// <summary>Completes when, after <see cref="BeginStop"/>, every lease has been released.</summary>
    internal Task WhenAllClosedAsync() => _allClosed.Task;

    /// <summary>Writes the last summary line, if any.</summary>
    public void Dispose() => _log.Dispose();

    internal bool Authenticate(ConnectionLease lease)
    {
        lock (_gate)
        {
            if (lease.Node is null || _stopping)
            {
                return false; // dropped to make room, or stopping: the handshake finished too late
            }

            RemovePendingLocked(lease);
            if (_established >= Options.MaxConnections)
            {
                return false;
            }

            _established++;
            lease.IsAuthenticated = true;
            return true;
        }
    }

    internal void Release(ConnectionLease lease)
    {
        lock (_gate)
        {
            if (lease.Node is not null)
            {
                RemovePendingLocked(lease);
            }
            else if (lease.IsAuthenticated)
            {
                _established--;
            }

            _open.TryRemove(lease.Id, out _);
            if (_stopping && _open.IsEmpty)
            {
                _allClosed.TrySetResult();
            }
        }
    }

    /// <summary>
    /// The connection to drop for a newcomer: among those that have not yet shown progress (see
    /// <see cref="ConnectionLease.MarkProgress"/>), one from the address holding the most places, the longest-waiting
    /// of them; only when every waiting connection has shown progress, the longest-waiting one. Stalled sockets thus go
    /// first, an address that floods loses its own connections before a quiet address loses its one, and a real client
    /// whose handshake or login takes a moment (a password hash) is not pushed out by them.
    /// </summary>
    private ConnectionLease VictimLocked()
    {
        ConnectionLease? victim = null;
        int victimCount = 0;
        for (var node = _pending.First; node is not null; node = node.Next)
        {
            var lease = node.Value;
            if (lease.Progressed)
            {
                continue;
            }

            int count = lease.Address is { } address ? _pendingByAddress.GetValueOrDefault(address) : 1;
            if (count > victimCount)
            {
                victim = lease;
                victimCount = count;
                if (count >= Options.MaxPendingPerAddress)
                {
                    break; // no address holds more: the oldest at the limit goes
                }
            }
        }

        return victim ?? _pending.First!.Value;
    }

    /// <summary>IPv4-mapped IPv6 addresses count as their IPv4 address.</summary>
    private static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;

    private void RemovePendingLocked(ConnectionLease lease)
    {
        _pending.Remove(lease.Node!);
        lease.Node = null;
        if (lease.Address is { } address)
        {
            var left = _pendingByAddress[address] - 1;
            if (left == 0)
            {
                _pendingByAddress.Remove(address);
            }
            else
            {
                _pendingByAddress[address] = left;
            }
        }
    }
}

/// <summary>
/// One admitted connection as <see cref="ConnectionAdmission"/> tracks it. Disposing it (once the connection is
/// closed, in a <c>finally</c>) frees its place; it is idempotent.
/// </summary>
public sealed class ConnectionLease : IDisposable
{
    private readonly ConnectionAdmission _owner;
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _abortGate = new();
    private int _released;
    private bool _progressed;

    internal ConnectionLease(ConnectionAdmission owner, long id, IPEndPoint? remote, IPAddress? address, DateTimeOffset acceptedAt)
    {
        _owner = owner;
        Id = id;
        RemoteEndPoint = remote;
        Address = address;
        AcceptedAt = acceptedAt;
    }

    /// <summary>A number unique within the server.</summary>
    public long Id { get; }

    /// <summary>The peer's address.</summary>
    public IPEndPoint? RemoteEndPoint { get; }

    /// <summary>When the connection was accepted.</summary>
    public DateTimeOffset AcceptedAt { get; }

    /// <summary>True once the handshake or login succeeded and the connection counts as authenticated.</summary>
    public bool IsAuthenticated { get; internal set; }

    /// <summary>Canceled when the connection is dropped to make room for a newcomer, or when the server stops before it authenticated.</summary>
    internal CancellationToken Aborted => _abort.Token;

    /// <summary>The time left until the handshake (or login) deadline; zero once it has passed.</summary>
    internal TimeSpan HandshakeTimeLeft
    {
        get
        {
            var left = AcceptedAt + _owner.Options.HandshakeTimeout - _owner.Options.TimeProvider.GetUtcNow();
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    internal IPAddress? Address { get; }

    internal LinkedListNode<ConnectionLease>? Node { get; set; }

    /// <summary>
    /// Moves the connection from "in its handshake" to "authenticated". False when it may not stay: it was dropped,
    /// the server is stopping, or the authenticated connections are at their maximum (refuse it as busy).
    /// </summary>
    internal bool MarkAuthenticated() => _owner.Authenticate(this);

    /// <summary>
    /// Records that the peer did real work toward authenticating (a whole first handshake record arrived, an FTP client
    /// asked for TLS, a chat client finished its handshake): such a connection is dropped for a newcomer only when no
    /// stalled one is left to drop.
    /// </summary>
    internal void MarkProgress() => Volatile.Write(ref _progressed, true);

    internal bool Progressed => Volatile.Read(ref _progressed);

    /// <summary>
    /// A token that fires at the handshake (or login) deadline, when the connection is dropped, or when
    /// <paramref name="outer"/> fires. <see cref="HandshakeDeadline.Expired"/> tells the deadline apart.
    /// </summary>
    internal HandshakeDeadline StartDeadline(CancellationToken outer) => new(HandshakeTimeLeft, _owner.Options.TimeProvider, Aborted, outer);

    /// <summary>Frees the connection's place.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _owner.Release(this);
            lock (_abortGate)
            {
                _abort.Dispose();
            }
        }
    }

    internal void Abort()
    {
        lock (_abortGate)
        {
            if (Volatile.Read(ref _released) == 0)
            {
                _abort.Cancel();
            }
        }
    }
}

/// <summary>A deadline plus the lease's abort and an outer token, as one token (see <see cref="ConnectionLease.StartDeadline"/>).</summary>
internal sealed class HandshakeDeadline : IDisposable
{
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenSource _linked;

    internal HandshakeDeadline(TimeSpan left, TimeProvider time, CancellationToken aborted, CancellationToken outer)
    {
        _timer = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1), time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(_timer.Token, aborted, outer);
    }

    /// <summary>Fires at the deadline, on a drop, or with the outer token.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>True when the deadline itself has passed.</summary>
    public bool Expired => _timer.IsCancellationRequested;

    /// <summary>Stops the timer.</summary>
    public void Dispose()
    {
        _linked.Dispose();
        _timer.Dispose();
    }
}
