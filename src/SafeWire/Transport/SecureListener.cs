using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace SafeWire.Transport;

/// <summary>An authenticated connection handed out by <see cref="SecureListener"/>. Disposing closes it.</summary>
public sealed class AcceptedConnection(SecureStream stream, IPEndPoint remoteEndPoint) : IAsyncDisposable, IDisposable
{
    public SecureStream Stream { get; } = stream;

    public IPEndPoint RemoteEndPoint { get; } = remoteEndPoint;

    public void Dispose() => Stream.Dispose();

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}

/// <summary>
/// Accepts TCP connections and runs the server handshake on each, at most <see cref="MaxConcurrentHandshakes"/>
/// at a time (further connections wait in the kernel backlog), each bounded by the options' HandshakeTimeout.
/// Only connections that authenticated come out of <see cref="AcceptAsync"/>; failures are reported through
/// <see cref="HandshakeFailed"/>.
/// </summary>
public sealed class SecureListener : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly SecureServerOptions _options;
    private readonly SemaphoreSlim _handshakeSlots;
    private readonly Channel<AcceptedConnection> _ready;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _acceptLoop;
    private long _failures;

    public SecureListener(IPEndPoint endPoint, SecureServerOptions options, int maxConcurrentHandshakes = 64, int maxPendingConnections = 256)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConcurrentHandshakes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPendingConnections);
        if (options.ServerCredential is null)
        {
            throw new ArgumentException("SecureServerOptions.ServerCredential is required.", nameof(options));
        }

        options.Validate();
        _listener = new TcpListener(endPoint);
        _options = options;
        MaxConcurrentHandshakes = maxConcurrentHandshakes;
        _handshakeSlots = new SemaphoreSlim(maxConcurrentHandshakes, maxConcurrentHandshakes);
        _ready = Channel.CreateBounded<AcceptedConnection>(new BoundedChannelOptions(maxPendingConnections) { SingleWriter = false });
    }

    /// <summary>Raised (on a pool thread) for every connection whose handshake failed.</summary>
    public event Action<IPEndPoint?, SecureChannelException>? HandshakeFailed;

    public int MaxConcurrentHandshakes { get; }

    /// <summary>Handshakes that failed so far.</summary>
    public long FailedHandshakes => Interlocked.Read(ref _failures);

    /// <summary>The bound address (useful with port 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start()
    {
        if (_acceptLoop is not null)
        {
            throw new InvalidOperationException("The listener is already started.");
        }

        _listener.Start();
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

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out var pending))
        {
            await pending.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _handshakeSlots.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                _handshakeSlots.Release();
                if (token.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = Task.Run(() => HandshakeAsync(socket, token), CancellationToken.None);
        }
    }

    private async Task HandshakeAsync(Socket socket, CancellationToken token)
    {
        var remote = socket.RemoteEndPoint as IPEndPoint;
        socket.NoDelay = true;
        var stream = new SecureStream(new NetworkStream(socket, ownsSocket: true));
        bool handedOut = false;
        try
        {
            await stream.AuthenticateAsServerAsync(_options, token).ConfigureAwait(false);
            _handshakeSlots.Release();
            if (stream.RemoteIdentity?.IsJoinRequest == true)
            {
                // Admitted only to join: the join handler gets it, the application never does.
                if (_options.JoinHandler is { } join)
                {
                    await join(stream, remote, token).ConfigureAwait(false);
                }

                return;
            }

            await _ready.Writer.WriteAsync(new AcceptedConnection(stream, remote!), token).ConfigureAwait(false);
            handedOut = true;
            return;
        }
        catch (SecureChannelException e)
        {
            Interlocked.Increment(ref _failures);
            HandshakeFailed?.Invoke(remote, e);
            _handshakeSlots.Release();
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException or IOException)
        {
            if (!stream.IsAuthenticated)
            {
                _handshakeSlots.Release();
            }
        }
        finally
        {
            if (!handedOut)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
