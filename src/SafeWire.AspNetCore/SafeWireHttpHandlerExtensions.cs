using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using SafeWire.Transport;

namespace SafeWire.AspNetCore;

/// <summary>HttpClient (and gRPC clients) over SafeWire: a <see cref="SocketsHttpHandler.ConnectCallback"/> that runs the client handshake.</summary>
public static class SafeWireHttpHandlerExtensions
{
    /// <summary>
    /// Makes every connection of <paramref name="handler"/> a SafeWire channel: TCP to the request's host and port,
    /// then the client handshake with <paramref name="options"/>. Use <c>http://</c> addresses (the channel, not
    /// TLS, protects them); for HTTP/2 set the request version to 2.0 with
    /// <see cref="HttpVersionPolicy.RequestVersionExact"/>, as gRPC clients do. When
    /// <see cref="SecureClientOptions.ServerName"/> is null, the request's host is the name the server's
    /// certificate must carry.
    /// </summary>
    /// <param name="handler">The handler to configure; its <see cref="SocketsHttpHandler.ConnectCallback"/> is replaced.</param>
    /// <param name="options">Server trust (required: <see cref="SecureClientOptions.ServerVerifier"/>) and the client credential.</param>
    /// <returns>The same <paramref name="handler"/>.</returns>
    /// <example>
    /// <code>
    /// var handler = new SocketsHttpHandler().UseSafeWire(new SecureClientOptions
    /// {
    ///     ServerVerifier = home.CreateCaVerifier(),
    ///     ClientCredential = home.LoadOrCreateClientCredential("alice"),
    /// });
    /// using var http = new HttpClient(handler) { BaseAddress = new Uri("http://localhost:7443") };
    /// string text = await http.GetStringAsync("/whoami");
    /// </code>
    /// </example>
    public static SocketsHttpHandler UseSafeWire(this SocketsHttpHandler handler, SecureClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ServerVerifier is null)
        {
            throw new ArgumentException("SecureClientOptions.ServerVerifier is required: a server must always be verified.", nameof(options));
        }

        handler.ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, options, cancellationToken);
        return handler;
    }

    /// <summary>
    /// Connects to <paramref name="endPoint"/> and runs the SafeWire client handshake; the building block of
    /// <see cref="UseSafeWire(SocketsHttpHandler, SecureClientOptions)"/> for a custom <see cref="SocketsHttpHandler.ConnectCallback"/>.
    /// </summary>
    /// <param name="endPoint">The server's host and port.</param>
    /// <param name="options">Server trust and the client credential; a null <see cref="SecureClientOptions.ServerName"/> means <paramref name="endPoint"/>'s host.</param>
    /// <param name="cancellationToken">Cancels the connection attempt and the handshake.</param>
    /// <returns>The authenticated channel; the caller owns it.</returns>
    /// <exception cref="SecureChannelException">The handshake failed: <see cref="SecureChannelException.Alert"/> and <see cref="SecureChannelException.TrustFailure"/> say why.</exception>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, SecureClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(options);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SecureStream? secure = null;
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            secure = new SecureStream(new NetworkStream(socket, ownsSocket: true));
            await secure.AuthenticateAsClientAsync(options.ServerName is null ? ForHost(options, endPoint.Host) : options, cancellationToken).ConfigureAwait(false);
            return secure;
        }
        catch
        {
            if (secure is not null)
            {
                await secure.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>A copy of <paramref name="options"/> naming <paramref name="host"/>: the shared options are never changed.</summary>
    private static SecureClientOptions ForHost(SecureClientOptions options, string host) => new()
    {
        CipherSuites = options.CipherSuites,
        HandshakeTimeout = options.HandshakeTimeout,
        TimeProvider = options.TimeProvider,
        Observer = options.Observer,
        ServerVerifier = options.ServerVerifier,
        ServerName = host,
        ClientCredential = options.ClientCredential,
        SessionCache = options.SessionCache,
    };
}
