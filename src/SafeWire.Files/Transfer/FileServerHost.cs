using System.Net;
using System.Net.Sockets;
using SafeWire.Transport;

namespace SafeWire.Files.Transfer;

/// <summary>
/// Accepts TCP connections, runs the SafeWire handshake (the server's certificate; the client's key checked by the
/// allow-list verifier in <see cref="SecureServerOptions.ClientVerifier"/>), then serves the file protocol on the
/// secure stream. One async task per connection, a cap on concurrent connections.
/// </summary>
public sealed class FileServerHost : IAsyncDisposable
{
    private readonly FileServer _server;
    private readonly FileServerOptions _options;
    private readonly SecureServerOptions _secure;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly int _maxConnections;
    private Task? _acceptLoop;
    private int _active;

    public FileServerHost(FileServerOptions options, SecureServerOptions secure, IPEndPoint endPoint, int maxConnections = 32)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(secure);
        ArgumentNullException.ThrowIfNull(endPoint);
        _server = new FileServer(options);
        _options = options;
        _secure = secure;
        _maxConnections = maxConnections;
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endPoint);
        }
        catch
        {
            _listener.Dispose();
            _stopping.Dispose();
            throw;
        }
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public void Start()
    {
        _listener.Listen(64);
        _acceptLoop = AcceptLoopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Task[] running;
        lock (_connections)
        {
            running = [.. _connections];
        }

        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (Interlocked.Increment(ref _active) > _maxConnections)
            {
                Interlocked.Decrement(ref _active);
                _options.Log?.Invoke($"refused {socket.RemoteEndPoint}: {_maxConnections} connections already");
                socket.Dispose();
                continue;
            }

            var task = ServeConnectionAsync(socket);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeConnectionAsync(Socket socket)
    {
        await Task.Yield();
        var remote = socket.RemoteEndPoint;
        socket.NoDelay = true;
        var secure = new SecureStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            await secure.AuthenticateAsServerAsync(_secure, _stopping.Token).ConfigureAwait(false);
            _options.Log?.Invoke($"{remote}: {secure.RemoteIdentity?.Name ?? "client"} connected ({secure.RemoteIdentity?.Fingerprint})");
            await _server.ServeAsync(secure, secure.RemoteIdentity, _stopping.Token).ConfigureAwait(false);
            await secure.ShutdownAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (SecureChannelException e)
        {
            _options.Log?.Invoke($"{remote}: refused: {e.Message}" + e.InnerException);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _options.Log?.Invoke($"{remote}: connection ended: {e.Message}");
        }
        finally
        {
            await secure.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>Connects to a file server and runs the client handshake; the caller owns the returned client.</summary>
    public static async Task<FileClient> ConnectAsync(string host, int port, SecureClientOptions options, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            var secure = new SecureStream(tcp.GetStream());
            try
            {
                await secure.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await secure.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return new FileClient(secure);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }
}
