using System.Net;
using System.Net.Sockets;
using SafeWire.Transport;

namespace SafeWire.Files.Transfer;

/// <summary>
/// Serves the file protocol on every connection a <see cref="SecureListener"/> authenticated (the server's
/// certificate; the client's key checked by the allow-list verifier in
/// <see cref="SecureServerOptions.ClientVerifier"/>). One async task per connection, a cap on live connections.
/// </summary>
public sealed class FileServerHost : IAsyncDisposable
{
    private readonly FileServer _server;
    private readonly FileServerOptions _options;
    private readonly SecureListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly int _maxConnections;
    private Task? _acceptLoop;
    private int _active;

    public FileServerHost(FileServerOptions options, SecureServerOptions secure, IPEndPoint endPoint, int maxConnections = 32)
    {
        ArgumentNullException.ThrowIfNull(options);
        _server = new FileServer(options);
        _options = options;
        _maxConnections = maxConnections;
        _listener = new SecureListener(endPoint, secure);
        _listener.HandshakeFailed += (remote, error) => options.Log?.Invoke($"{remote}: refused: {error.Message}");
    }

    public IPEndPoint EndPoint => _listener.LocalEndPoint;

    /// <summary>Binds the port (SocketException if taken) and starts serving.</summary>
    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
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
            AcceptedConnection connection;
            try
            {
                connection = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            if (Interlocked.Increment(ref _active) > _maxConnections)
            {
                Interlocked.Decrement(ref _active);
                _options.Log?.Invoke($"{connection.RemoteEndPoint}: refused, {_maxConnections} connections already");
                await connection.DisposeAsync().ConfigureAwait(false);
                continue;
            }

            var task = ServeConnectionAsync(connection);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeConnectionAsync(AcceptedConnection connection)
    {
        await Task.Yield();
        var secure = connection.Stream;
        var remote = connection.RemoteEndPoint;
        try
        {
            _options.Log?.Invoke($"{remote}: {secure.RemoteIdentity?.Name ?? "client"} connected ({secure.RemoteIdentity?.Fingerprint})");
            await _server.ServeAsync(secure, secure.RemoteIdentity, _stopping.Token).ConfigureAwait(false);
            await secure.ShutdownAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _options.Log?.Invoke($"{remote}: connection ended: {e.Message}");
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
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
