using SafeWire.Identity;
using SafeWire.Transport;

namespace SafeWire.Chat.Channels;

/// <summary>
/// The production <see cref="IChannelAuthenticator"/>: a SafeWire handshake (<see cref="SecureStream"/>) with
/// the given options. Either side's options may be left out when this end only ever plays the other role.
/// </summary>
/// <example>
/// A chat server that admits clients holding a certificate from the home CA:
/// <code>
/// var home = SafeWireHome.Resolve(null);
/// using var credential = home.LoadOrCreateServerCredential("chat", ["localhost"], [IPAddress.Loopback]);
/// var authenticator = new SecureStreamAuthenticator(
///     new SecureServerOptions { ServerCredential = credential, ClientVerifier = home.CreateCaVerifier(), RequireClientCredential = true },
///     client: null);
/// </code>
/// </example>
public sealed class SecureStreamAuthenticator(SecureServerOptions? server, SecureClientOptions? client) : IChannelAuthenticator
{
    /// <summary>
    /// Runs the server handshake with the server options. A connection that came only to redeem a join code is
    /// passed to <see cref="SecureServerOptions.JoinHandler"/> and closed, and this throws <see cref="JoinHandledException"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">This authenticator was created without server options.</exception>
    public async Task<IChatChannel> AuthenticateAsServerAsync(Stream transport, CancellationToken cancellationToken)
    {
        var options = server ?? throw new InvalidOperationException("This authenticator has no server options.");
        var secure = await SecureConnector.AuthenticateAsServerAsync(transport, options, leaveInnerStreamOpen: false, cancellationToken).ConfigureAwait(false);
        bool joined;
        try
        {
            // Admitted only to join: the join handler gets it, the chat never does.
            joined = await options.HandledAsJoinAsync(secure, null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await secure.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (!joined)
        {
            return new SecureChatChannel(secure);
        }

        await secure.DisposeAsync().ConfigureAwait(false);
        throw new JoinHandledException();
    }

    /// <summary>Runs the client handshake with the client options, checking the server under <paramref name="serverName"/>.</summary>
    /// <exception cref="InvalidOperationException">This authenticator was created without client options.</exception>
    public async Task<IChatChannel> AuthenticateAsClientAsync(Stream transport, string serverName, CancellationToken cancellationToken)
    {
        var template = client ?? throw new InvalidOperationException("This authenticator has no client options.");
        var options = new SecureClientOptions
        {
            ServerVerifier = template.ServerVerifier,
            ServerName = serverName,
            ClientCredential = template.ClientCredential,
            CipherSuites = template.CipherSuites,
            HandshakeTimeout = template.HandshakeTimeout,
            TimeProvider = template.TimeProvider,
            SessionCache = template.SessionCache,
            Observer = template.Observer,
        };
        var secure = await SecureConnector.AuthenticateAsClientAsync(transport, options, leaveInnerStreamOpen: false, cancellationToken).ConfigureAwait(false);
        return new SecureChatChannel(secure);
    }

    /// <summary>
    /// The chat server's authenticator: every client must prove a key in the handshake, in every admission mode
    /// (open mode too: a client is identified by its key, so one without a key gets certificate_required);
    /// <paramref name="clientVerifier"/> decides which keys get in.
    /// </summary>
    /// <remarks>
    /// <paramref name="handshakeTimeout"/> (default 10 s, as <see cref="SecureChannelOptions.HandshakeTimeout"/>) should
    /// equal the chat server's own: a client that stalls then gets a handshake_timeout alert, not a silent close.
    /// </remarks>
    public static SecureStreamAuthenticator ForChatServer(LocalCredential credential, IPeerVerifier clientVerifier, TimeSpan? handshakeTimeout = null)
    {
        var options = new SecureServerOptions { ServerCredential = credential, ClientVerifier = clientVerifier, RequireClientCredential = true };
        if (handshakeTimeout is { } limit)
        {
            options.HandshakeTimeout = limit;
        }

        return new(options, client: null);
    }

    /// <summary>
    /// The end-to-end authenticator for direct messages with one peer: both ends present their own credential and
    /// verify the other with <paramref name="peerVerifier"/> as a client of the CA (role Client, the peer's name).
    /// </summary>
    public static IChannelAuthenticator ForDirect(LocalCredential own, IPeerVerifier peerVerifier, string peerName)
    {
        ArgumentNullException.ThrowIfNull(own);
        var verifier = new PeerClientVerifier(peerVerifier, peerName);
        return new SecureStreamAuthenticator(
            new SecureServerOptions { ServerCredential = own, ClientVerifier = verifier, RequireClientCredential = true },
            new SecureClientOptions { ServerVerifier = verifier, ClientCredential = own });
    }

    private sealed class SecureChatChannel(SecureStream stream) : IChatChannel
    {
        public Stream Stream => stream;

        public PeerIdentity? RemoteIdentity => stream.RemoteIdentity;

        public string CipherSuite => stream.CipherSuite?.ToString() ?? "none";

        public void ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, Span<byte> destination) =>
            stream.ExportKeyingMaterial(label, context, destination);

        /// <summary>close_notify (so the peer can tell an end from a cut), then release.</summary>
        public async ValueTask DisposeAsync()
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await stream.ShutdownAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                // The peer is already gone.
            }

            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>In an end-to-end session both peers are clients of their CA: check them as clients, under the name the server listed.</summary>
    private sealed class PeerClientVerifier(IPeerVerifier inner, string peerName) : IPeerVerifier
    {
        public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context) =>
            inner.Verify(credential, context with { Role = PeerRole.Client, ExpectedName = peerName });
    }
}

/// <summary>A connection that came only to join with a code was handled by the join handler and is closed.</summary>
public sealed class JoinHandledException() : Exception("the connection presented a join code and was handled by the join handler");
