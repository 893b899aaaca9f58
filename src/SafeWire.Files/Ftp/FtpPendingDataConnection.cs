using System.Net.Security;
using System.Security.Authentication;
using System.Net.Sockets;

namespace SafeWire.Files.Ftp;

/// <summary>
/// An accepted data connection: the socket (to shut down and drain), the stream over it (TLS or clear) and, under TLS,
/// the wire observer that tells whether the transport ended without close_notify.
/// </summary>
internal sealed record FtpDataConnection(Socket Socket, Stream Stream, FtpTlsWire? Wire) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}

/// <summary>A data connection was refused because it did not resume the control connection's TLS session.</summary>
internal sealed class FtpSessionReuseRequiredException() : Exception("The data connection did not resume the control connection's TLS session.");

/// <summary>The TLS handshake of a data connection, with the session-reuse check.</summary>
internal static class FtpDataTls
{
    /// <summary>
    /// Authenticates <paramref name="transport"/> as the server; when <paramref name="requireReuse"/>, refuses (throws
    /// <see cref="FtpSessionReuseRequiredException"/>) a handshake that did not resume the control session.
    /// </summary>
    public static async Task<(SslStream Stream, FtpTlsWire Wire)> AuthenticateAsync(Stream transport, SslServerAuthenticationOptions tls, FtpTlsSessionBinding binding, bool requireReuse, TimeSpan handshakeTimeout, CancellationToken cancellationToken)
    {
        var wire = new FtpTlsWire(transport);
        var secure = new SslStream(wire, leaveInnerStreamOpen: false);
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            handshake.CancelAfter(handshakeTimeout);
            await secure.AuthenticateAsServerAsync(tls, handshake.Token).ConfigureAwait(false);
            if (binding.IsBound(wire.Facts))
            {
                binding.Learn(wire.Facts);
            }
            else if (requireReuse)
            {
                throw new FtpSessionReuseRequiredException();
            }

            return (secure, wire);
        }
        catch
        {
            await secure.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

/// <summary>
/// The data connection of an open passive port, accepted in the background as soon as the client connects and, if
/// data was protected when the port was opened, authenticated with TLS right away, not only once the transfer command
/// arrives. curl completes the data connection's TLS handshake before it reads the replies to the commands it sends
/// meanwhile (TYPE, SIZE); a server that answers the ClientHello only at RETR/STOR leaves curl polling the idle data
/// socket with timeouts of 0.2 s and then 1 s per command (measured with curl 7.88: about 1.2 s of a 4 s 1 GiB RETR).
/// </summary>
internal sealed class FtpPendingDataConnection : IDisposable
{
    private readonly FtpPassiveListener _listener;
    private readonly CancellationTokenSource _cancel = new();
    private bool _taken;

    public FtpPendingDataConnection(FtpPassiveListener listener, SslServerAuthenticationOptions? tls, FtpTlsSessionBinding binding, bool requireReuse, TimeSpan handshakeTimeout, Action<string>? log)
    {
        _listener = listener;
        Protected = tls is not null;
        Connection = ConnectAsync(tls, binding, requireReuse, handshakeTimeout, log);
    }

    public int Port => _listener.EndPoint.Port;

    /// <summary>Whether the connection is (being) authenticated with TLS.</summary>
    public bool Protected { get; }

    /// <summary>
    /// The accepted connection; faults with <see cref="TimeoutException"/> when no client connected before the port
    /// expired, or with the handshake's exception.
    /// </summary>
    private Task<FtpDataConnection> Connection { get; }

    /// <summary>Waits for the connection; the caller owns it from then on.</summary>
    public async Task<FtpDataConnection> TakeAsync(CancellationToken cancellationToken)
    {
        var connection = await Connection.WaitAsync(cancellationToken).ConfigureAwait(false);
        _taken = true;
        return connection;
    }

    /// <summary>Closes the port; a connection nobody took (or that arrives later) is closed too.</summary>
    public void Dispose()
    {
        _cancel.Cancel();
        _listener.Dispose();
        _ = CloseUntakenAsync(_taken);
    }

    private async Task CloseUntakenAsync(bool taken)
    {
        try
        {
            var connection = await Connection.ConfigureAwait(false);
            if (!taken)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or IOException or SocketException or AuthenticationException or ObjectDisposedException or FtpSessionReuseRequiredException)
        {
            // A port nobody connected to, or a failed handshake, is not an error here.
        }
        finally
        {
            _cancel.Dispose();
        }
    }

    private async Task<FtpDataConnection> ConnectAsync(SslServerAuthenticationOptions? tls, FtpTlsSessionBinding binding, bool requireReuse, TimeSpan handshakeTimeout, Action<string>? log)
    {
        var socket = await _listener.AcceptAsync(log, _cancel.Token).ConfigureAwait(false);
        var remote = socket.RemoteEndPoint;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (tls is null)
        {
            return new FtpDataConnection(socket, stream, null);
        }

        try
        {
            var (secure, wire) = await FtpDataTls.AuthenticateAsync(stream, tls, binding, requireReuse, handshakeTimeout, _cancel.Token).ConfigureAwait(false);
            return new FtpDataConnection(socket, secure, wire);
        }
        catch (FtpSessionReuseRequiredException)
        {
            log?.Invoke($"refused a data connection from {remote}: it did not resume the control connection's TLS session");
            throw;
        }
    }
}
