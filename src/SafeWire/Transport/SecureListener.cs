using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using SafeWire.Protocol;

namespace SafeWire.Transport;

/// <summary>An authenticated connection handed out by <see cref="SecureListener"/>. Disposing closes it and frees its place.</summary>
public sealed class AcceptedConnection : IAsyncDisposable, IDisposable
{
    private readonly ConnectionLease? _lease;

    /// <summary>Wraps an authenticated stream (a connection that the listener does not track).</summary>
    internal AcceptedConnection(SecureStream stream, IPEndPoint remoteEndPoint)
        : this(stream, remoteEndPoint, null)
    {
    }

    internal AcceptedConnection(SecureStream stream, IPEndPoint remoteEndPoint, ConnectionLease? lease)
    {
        Stream = stream;
        RemoteEndPoint = remoteEndPoint;
        _lease = lease;
    }

    /// <summary>The authenticated stream; <see cref="SecureStream.RemoteIdentity"/> says who is on the other end.</summary>
    public SecureStream Stream { get; }

    /// <summary>The peer's address.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>Closes the stream and frees the connection's place in the listener.</summary>
    public void Dispose()
    {
        try
        {
            Stream.Dispose();
        }
        finally
        {
            _lease?.Dispose();
        }
    }

    /// <summary>Closes the stream and frees the connection's place in the listener.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Stream.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _lease?.Dispose();
        }
    }
}

/// <summary>
/// The one hosting layer of SafeWire servers: accepts TCP connections, admits them by the server's
/// <see cref="AdmissionOptions"/> (per-address and overall caps on unauthenticated connections, a deadline for the
/// first bytes and one for the whole handshake, a cap on authenticated connections, rate-limited logging), runs the
/// server handshake on each, and hands out only authenticated connections, through <see cref="AcceptAsync"/> or to a
/// per-connection handler in <see cref="ServeAsync"/>. A refused peer gets a plaintext server_busy alert; a stalled
/// one gets handshake_timeout. It tracks every connection (<see cref="Admission"/>); disposing it stops accepting,
/// aborts and waits for in-flight handshakes, and waits for running handlers.
/// </summary>
/// <example>
/// An echo server that admits only clients with a certificate from the home CA:
/// <code>
/// var home = SafeWireHome.Resolve(null);
/// using var credential = home.LoadOrCreateServerCredential("echo", ["localhost"], [IPAddress.Loopback]);
/// await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 7000), new SecureServerOptions
/// {
///     ServerCredential = credential,
///     ClientVerifier = home.CreateCaVerifier(),
///     RequireClientCredential = true,
/// });
/// listener.Start();
/// await listener.ServeAsync(async (connection, cancellationToken) =>
/// {
///     Console.WriteLine($"{connection.Stream.RemoteIdentity!.Name} from {connection.RemoteEndPoint}");
///     await connection.Stream.CopyToAsync(connection.Stream, cancellationToken);
/// }, stopping.Token);
/// </code>
/// </example>
public sealed class SecureListener : IAsyncDisposable
{
    private static readonly byte[] s_busyAlert = PlaintextAlert.Record(Alert.ServerBusy);
    private static readonly byte[] s_timeoutAlert = PlaintextAlert.Record(Alert.HandshakeTimeout);

    private readonly TcpListener _listener;
    private readonly SecureServerOptions _options;
    private readonly Channel<AcceptedConnection> _ready = Channel.CreateUnbounded<AcceptedConnection>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _acceptLoop;
    private long _failures;
    private int _running = 1; // in-flight handshakes and handlers, plus one for the listener itself
    private int _disposed;

    /// <summary>A listener with the default admission policy, at most <paramref name="maxConcurrentHandshakes"/> connections in their handshake at once.</summary>
    public SecureListener(IPEndPoint endPoint, SecureServerOptions options, int maxConcurrentHandshakes = 64)
        : this(endPoint, options, new AdmissionOptions { MaxPendingConnections = maxConcurrentHandshakes })
    {
    }

    /// <summary>A listener with the given admission policy (copied).</summary>
    public SecureListener(IPEndPoint endPoint, SecureServerOptions options, AdmissionOptions admission)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(admission);
        if (options.ServerCredential is null)
        {
            throw new ArgumentException("SecureServerOptions.ServerCredential is required.", nameof(options));
        }

        options.Validate();
        Admission = new ConnectionAdmission(admission);
        _listener = new TcpListener(endPoint);
        _options = options;
    }

    /// <summary>Raised (on a pool thread) for every connection whose handshake failed; a throwing handler is ignored.</summary>
    public event Action<IPEndPoint?, SecureChannelException>? HandshakeFailed;

    /// <summary>Admission and tracking: every open connection, the caps, the counters.</summary>
    public ConnectionAdmission Admission { get; }

    /// <summary>Connections in their handshake at once, at most.</summary>
    public int MaxConcurrentHandshakes => Admission.Options.MaxPendingConnections;

    /// <summary>Handshakes that failed so far (timeouts included).</summary>
    public long FailedHandshakes => Interlocked.Read(ref _failures);

    /// <summary>The bound address (useful with port 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Binds the port (SocketException if taken) and starts accepting.</summary>
    public void Start()
    {
        if (_acceptLoop is not null)
        {
            throw new InvalidOperationException("The listener is already started.");
        }

        _listener.Start(backlog: 512);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Waits for the next authenticated connection.</summary>
    public async ValueTask<AcceptedConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (_acceptLoop is null)
        {
            throw new InvalidOperationException("Call Start first.");
        }

        try
        {
            return await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw new ObjectDisposedException(nameof(SecureListener), e);
        }
    }

    /// <summary>
    /// Runs <paramref name="handler"/> on every authenticated connection until <paramref name="cancellationToken"/>
    /// fires or the listener is disposed; the connection is disposed (its place freed) when the handler returns or
    /// throws. The handler sees the authenticated peer (<see cref="SecureStream.RemoteIdentity"/>) and may dispatch
    /// on it. Its token fires when the server stops. A handler's exception ends that connection only and is logged.
    /// </summary>
    public async Task ServeAsync(Func<AcceptedConnection, CancellationToken, Task> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        while (true)
        {
            AcceptedConnection connection;
            try
            {
                connection = await AcceptAsync(linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            Enter();
            _ = RunHandlerAsync(connection, handler);
        }
    }

    /// <summary>Stops accepting, aborts in-flight handshakes and waits for them and for running handlers (up to 10 s), then closes queued connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Admission.BeginStop();
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Leave();
        await _idle.Task.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out var pending))
        {
            await pending.DisposeAsync().ConfigureAwait(false);
        }

        Admission.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Refuses a connection before its handshake: a plaintext server_busy alert (the client reports "server busy, retry"), then close.</summary>
    internal static void RefuseBusy(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Refuse(socket, s_busyAlert);
    }

    /// <summary>The bytes of a plaintext alert record (before any keys exist), for servers that refuse or time out a connection themselves.</summary>
    internal static byte[] AlertRecord(Alert alert) => PlaintextAlert.Record(alert);

    /// <summary>Sends a plaintext alert to a connection refused before its handshake and closes it.</summary>
    internal static void Refuse(Socket socket, byte[] alert)
    {
        try
        {
            socket.Blocking = false;
            socket.Send(alert);
            // Read what the peer already sent, so the close is a FIN, not a reset that could discard the alert.
            Span<byte> sink = stackalloc byte[512];
            while (socket.Available > 0 && socket.Receive(sink) > 0)
            {
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Best effort: the peer may be gone already.
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    private void Enter() => Interlocked.Increment(ref _running);

    private void Leave()
    {
        if (Interlocked.Decrement(ref _running) == 0)
        {
            _idle.TrySetResult();
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                continue; // a connection reset before it was accepted
            }

            Enter();
            _ = Task.Run(() => HandshakeAsync(socket), CancellationToken.None);
        }
    }

    /// <summary>
    /// A whole first record (a real ClientHello) has arrived: the connection is past the stage where slowloris sockets
    /// stall, so it is dropped for a newcomer only after those. Peeks; consumes nothing.
    /// </summary>
    internal static void MarkProgressOnCompleteRecord(Socket socket, ConnectionLease lease)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            Span<byte> header = stackalloc byte[ProtocolConstants.RecordHeaderLength];
            if (socket.Available >= header.Length && socket.Receive(header, SocketFlags.Peek) == header.Length
                && socket.Available >= header.Length + System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(header[^2..]))
            {
                lease.MarkProgress();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The handshake that follows reports it.
        }
    }

    /// <summary>One connection from accept to hand-out: everything it holds is released in the finally, whatever throws.</summary>
    private async Task HandshakeAsync(Socket socket)
    {
        ConnectionLease? lease = null;
        SecureStream? stream = null;
        IPEndPoint? remote = null;
        bool handedOut = false;
        try
        {
            remote = socket.RemoteEndPoint as IPEndPoint;
            if (Admission.TryAdmit(remote, out lease) != AdmissionResult.Admitted)
            {
                Refuse(socket, s_busyAlert);
                return;
            }

            socket.NoDelay = true;
            var network = new NetworkStream(socket, ownsSocket: true);
            stream = new SecureStream(network);
            var options = Admission.Options;
            using (var first = new CancellationTokenSource(Min(options.FirstBytesTimeout, lease!.HandshakeTimeLeft), options.TimeProvider))
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(first.Token, lease.Aborted, _stopping.Token))
            {
                try
                {
                    await SocketReadiness.WaitForDataAsync(network, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (first.IsCancellationRequested && !lease.Aborted.IsCancellationRequested && !_stopping.IsCancellationRequested)
                {
                    await network.WriteAsync(s_timeoutAlert, _stopping.Token).ConfigureAwait(false);
                    throw new SecureChannelException(Alert.HandshakeTimeout, $"The client sent nothing within {Min(options.FirstBytesTimeout, options.HandshakeTimeout).TotalSeconds:0.###} s.");
                }
            }

            MarkProgressOnCompleteRecord(socket, lease);
            var timeout = _options.HandshakeTimeout == Timeout.InfiniteTimeSpan ? Min(lease.HandshakeTimeLeft, lease.HandshakeTimeLeft) : Min(_options.HandshakeTimeout, lease.HandshakeTimeLeft);
            using (var abort = CancellationTokenSource.CreateLinkedTokenSource(lease.Aborted, _stopping.Token))
            {
                await stream.AuthenticateAsServerAsync(_options.WithHandshakeTimeout(timeout), abort.Token).ConfigureAwait(false);
            }

            // Admitted only to join: the join handler gets it, the application never does.
            if (await _options.HandledAsJoinAsync(stream, remote, lease.Aborted, _stopping.Token).ConfigureAwait(false))
            {
                return;
            }

            if (!lease.MarkAuthenticated())
            {
                await stream.AbortWithAlertAsync(Alert.ServerBusy).ConfigureAwait(false);
                Admission.ReportFailure(remote, "refused after its handshake: the server is busy");
                return;
            }

            handedOut = _ready.Writer.TryWrite(new AcceptedConnection(stream, remote!, lease));
        }
        catch (SecureChannelException e)
        {
            Interlocked.Increment(ref _failures);
            Admission.ReportFailure(remote, "refused in the handshake: " + e.Message);
            RaiseHandshakeFailed(remote, e);
        }
        catch (OperationCanceledException) when (lease is { Aborted.IsCancellationRequested: true } || _stopping.IsCancellationRequested)
        {
            // Dropped to make room for a newcomer (logged by the admission), or the server is stopping: tell the peer.
            if (stream is not null)
            {
                await stream.AbortWithAlertAsync(Alert.ServerBusy).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Anything else (a socket error, a bug) ends this connection only; the finally frees it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _failures);
            Admission.ReportFailure(remote, "connection failed: " + e.Message);
        }
        finally
        {
            if (!handedOut)
            {
                try
                {
                    if (stream is not null)
                    {
                        await stream.DisposeAsync().ConfigureAwait(false);
                    }
                    else
                    {
                        socket.Dispose();
                    }
                }
                finally
                {
                    lease?.Dispose();
                }
            }

            Leave();
        }
    }

    private async Task RunHandlerAsync(AcceptedConnection connection, Func<AcceptedConnection, CancellationToken, Task> handler)
    {
        try
        {
            await Task.Yield();
            await handler(connection, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A failing handler ends its own connection only.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Admission.ReportFailure(connection.RemoteEndPoint, "connection ended: " + e.Message);
        }
        finally
        {
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                Leave();
            }
        }
    }

    private void RaiseHandshakeFailed(IPEndPoint? remote, SecureChannelException error)
    {
        try
        {
            HandshakeFailed?.Invoke(remote, error);
        }
#pragma warning disable CA1031 // A faulty event handler must not leak the connection or stop the listener.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Admission.ReportFailure(remote, "a HandshakeFailed handler threw: " + e.Message);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b)
    {
        var min = a < b ? a : b;
        return min > TimeSpan.Zero ? min : TimeSpan.FromTicks(1);
    }
}
