using System.Net.Sockets;
using System.Security.Cryptography;
using SafeWire.Protocol;

namespace SafeWire.Transport;

/// <summary>
/// The one way clients connect: TCP connect (bounded), the client handshake, and on any failure everything disposed
/// (socket, stream, keys). Also the handshake on a transport the caller already has (peer-to-peer sockets, relayed
/// streams), and a retry with backoff for servers that answer "busy".
/// </summary>
/// <example>
/// Connect to a server whose key was pinned out of band, with a client certificate:
/// <code>
/// var pinned = new AllowListVerifier(new AllowList([new AllowListEntry("SHA256:3q2+7w...", "backup-server")]));
/// using var credential = home.LoadOrCreateClientCredential("alice");
/// await using var stream = await SecureConnector.ConnectAsync("backup.example.internal", 7000, new SecureClientOptions
/// {
///     ServerVerifier = pinned,
///     ClientCredential = credential,
/// }, cancellationToken);
/// Console.WriteLine($"connected to {stream.RemoteIdentity!.Name} ({stream.CipherSuite})");
/// </code>
/// </example>
public static class SecureConnector
{
    /// <summary>How long the TCP connect may take before it fails with <see cref="TimeoutException"/>.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> and authenticates the server; the caller owns the stream.</summary>
    public static Task<SecureStream> ConnectAsync(string host, int port, SecureClientOptions options, CancellationToken cancellationToken = default) =>
        ConnectAsync(host, port, options, DefaultConnectTimeout, cancellationToken);

    /// <summary>As <see cref="ConnectAsync(string, int, SecureClientOptions, CancellationToken)"/> with another connect timeout.</summary>
    public static async Task<SecureStream> ConnectAsync(string host, int port, SecureClientOptions options, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(options);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var timeout = new CancellationTokenSource(connectTimeout, options.TimeProvider))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
            {
                try
                {
                    await socket.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"Could not connect to {host}:{port} within {connectTimeout.TotalSeconds:0.#} s: check the address and that the server is running.", e);
                }
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await AuthenticateAsClientAsync(new NetworkStream(socket, ownsSocket: true), options, leaveInnerStreamOpen: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects like <see cref="ConnectAsync(string, int, SecureClientOptions, CancellationToken)"/>, and when the
    /// server is busy (it refused with server_busy, timed our handshake out, or dropped it under load) waits and tries
    /// again, up to <paramref name="attempts"/> times: 0.5 s, 1 s, 2 s, 4 s … with jitter. Only the connection and
    /// handshake are retried: nothing of the caller's has been sent yet. <paramref name="retrying"/> hears of each wait.
    /// </summary>
    public static async Task<SecureStream> ConnectWithRetryAsync(string host, int port, SecureClientOptions options, int attempts, Action<SecureChannelException, TimeSpan>? retrying, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attempts);
        var delay = TimeSpan.FromMilliseconds(500);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await ConnectAsync(host, port, options, cancellationToken).ConfigureAwait(false);
            }
            catch (SecureChannelException e) when (attempt < attempts && IsBusy(e))
            {
                var wait = delay + TimeSpan.FromMilliseconds(RandomNumberGenerator.GetInt32((int)(delay.TotalMilliseconds / 2) + 1));
                retrying?.Invoke(e, wait);
                await Task.Delay(wait, options.TimeProvider, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }

    /// <summary>True for the failures a loaded server causes before any application data: worth a retry.</summary>
    public static bool IsBusy(SecureChannelException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Alert == Alert.ServerBusy
            || (error.SentByPeer && error.Alert is Alert.HandshakeTimeout or Alert.Truncated);
    }

    /// <summary>Runs the client handshake on a transport the caller already has; on failure the new stream (and, unless left open, the transport) is disposed.</summary>
    public static async Task<SecureStream> AuthenticateAsClientAsync(Stream transport, SecureClientOptions options, bool leaveInnerStreamOpen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var secure = new SecureStream(transport, leaveInnerStreamOpen);
        try
        {
            await secure.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return secure;
        }
        catch
        {
            await secure.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs the server handshake on a transport the caller already has (a peer-to-peer socket); disposes like <see cref="AuthenticateAsClientAsync"/>.</summary>
    public static async Task<SecureStream> AuthenticateAsServerAsync(Stream transport, SecureServerOptions options, bool leaveInnerStreamOpen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var secure = new SecureStream(transport, leaveInnerStreamOpen);
        try
        {
            await secure.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
            return secure;
        }
        catch
        {
            await secure.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
