using System.Net;
using System.Net.Sockets;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Transport;

namespace SafeWire.KeyDistribution;

/// <summary>
/// Key-distribution channels over SafeWire: every client ↔ key-manager link is mutually authenticated with
/// certificates from the home CA, and e2e peers run their own handshake, each pinned to the fingerprint the
/// key manager introduced. The key manager takes no part in the peers' handshake and never sees its keys.
/// </summary>
public sealed class SecureKdChannels : IKdChannels
{
    /// <summary>Exporter label for the short code e2e peers can compare out of band.</summary>
    internal const string SessionCheckLabel = "safewire kd e2e session check";

    private readonly LocalCredential _credential;
    private readonly IPeerVerifier _caVerifier;
    private readonly TimeProvider _time;

    /// <summary>Creates the channels of one peer, which authenticates with <paramref name="credential"/> and trusts what <paramref name="caVerifier"/> trusts.</summary>
    /// <param name="credential">This peer's client certificate and key (from the home CA).</param>
    /// <param name="caVerifier">The home CA (and CRL): trusts the key manager and, with a pinned fingerprint, the other peer.</param>
    /// <param name="time">The clock (null: the system clock).</param>
    public SecureKdChannels(LocalCredential credential, IPeerVerifier caVerifier, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(caVerifier);
        _credential = credential;
        _caVerifier = caVerifier;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The cipher suites this peer offers to the key manager and to other peers, and accepts from them (null: all three, AES-256-GCM first).</summary>
    public IList<CipherSuite>? CipherSuites { get; init; }

    /// <inheritdoc/>
    public async Task<AuthenticatedChannel> ConnectKeyManagerAsync(string host, int port, CancellationToken cancellationToken)
    {
        var stream = await SecureConnector.ConnectAsync(host, port, new SecureClientOptions
        {
            ServerVerifier = _caVerifier,
            ServerName = host,
            ClientCredential = _credential,
            TimeProvider = _time,
            CipherSuites = Suites(CipherSuites),
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            return Channel(stream, ((NetworkStream)stream.InnerStream).Socket);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<AuthenticatedChannel> SecurePeerAsClientAsync(Socket socket, string expectedFingerprint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var stream = await SecureConnector.AuthenticateAsClientAsync(new NetworkStream(socket, ownsSocket: false), new SecureClientOptions
        {
            ServerVerifier = new IntroducedPeerVerifier(_caVerifier, expectedFingerprint),
            ClientCredential = _credential,
            TimeProvider = _time,
            CipherSuites = Suites(CipherSuites),
        }, leaveInnerStreamOpen: false, cancellationToken).ConfigureAwait(false);
        return Channel(stream, socket, withSessionCheck: true);
    }

    /// <inheritdoc/>
    public async Task<AuthenticatedChannel> SecurePeerAsServerAsync(Socket socket, string expectedFingerprint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var stream = await SecureConnector.AuthenticateAsServerAsync(new NetworkStream(socket, ownsSocket: false), new SecureServerOptions
        {
            ServerCredential = _credential,
            ClientVerifier = new IntroducedPeerVerifier(_caVerifier, expectedFingerprint),
            RequireClientCredential = true,
            TimeProvider = _time,
            CipherSuites = Suites(CipherSuites),
        }, leaveInnerStreamOpen: false, cancellationToken).ConfigureAwait(false);
        return Channel(stream, socket, withSessionCheck: true);
    }

    /// <summary>
    /// The key manager's listener: a <see cref="SecureListener"/> that requires a client certificate the
    /// home CA verifies, and hands out each authenticated client as a channel.
    /// </summary>
    /// <param name="endPoint">Where to listen.</param>
    /// <param name="serverCredential">The key manager's certificate and key.</param>
    /// <param name="clientVerifier">The client policy (the home CA).</param>
    /// <param name="time">The clock.</param>
    /// <param name="admission">Limits on connections before they authenticate.</param>
    /// <param name="joinHandler">Receives connections admitted only to join with a code (see <see cref="SecureServerOptions.JoinHandler"/>).</param>
    /// <param name="cipherSuites">The cipher suites the key manager accepts, in its order of preference (null: all three, AES-256-GCM first).</param>
    public static SecureListener CreateKeyManagerListener(IPEndPoint endPoint, LocalCredential serverCredential, IPeerVerifier clientVerifier, TimeProvider? time = null,
        AdmissionOptions? admission = null, Func<SecureStream, IPEndPoint?, CancellationToken, Task>? joinHandler = null, IList<CipherSuite>? cipherSuites = null) =>
        new(endPoint, new SecureServerOptions
        {
            ServerCredential = serverCredential,
            ClientVerifier = clientVerifier,
            RequireClientCredential = true,
            TimeProvider = time ?? TimeProvider.System,
            JoinHandler = joinHandler,
            CipherSuites = Suites(cipherSuites),
        }, admission ?? new AdmissionOptions());

    /// <summary>The next authenticated client of <paramref name="listener"/>.</summary>
    public static async ValueTask<AuthenticatedChannel> AcceptKeyManagerClientAsync(SecureListener listener, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var connection = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        var remote = connection.Stream.RemoteIdentity;
        if (remote is null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new SecureChannelException(Protocol.Alert.HandshakeFailure, "The client did not authenticate.");
        }

        return new AuthenticatedChannel(connection.Stream, remote, connection.RemoteEndPoint.Address, listener.LocalEndPoint.Address) { Owner = connection };
    }

    private static List<CipherSuite> Suites(IList<CipherSuite>? suites) =>
        suites is null ? [CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305, CipherSuite.Aes256CbcHmacSha256] : [.. suites];

    private static AuthenticatedChannel Channel(SecureStream stream, Socket socket, bool withSessionCheck = false)
    {
        var remote = stream.RemoteIdentity ?? throw new SecureChannelException(Protocol.Alert.HandshakeFailure, "The peer did not authenticate.");
        string? check = null;
        if (withSessionCheck)
        {
            Span<byte> code = stackalloc byte[5];
            stream.ExportKeyingMaterial(SessionCheckLabel, [], code);
            check = FormatCheck(code);
        }

        return new AuthenticatedChannel(stream, remote, (socket.RemoteEndPoint as IPEndPoint)?.Address, (socket.LocalEndPoint as IPEndPoint)?.Address, check);
    }

    /// <summary>40 bits as two groups of five decimal digits (like a Signal safety number, much shorter).</summary>
    private static string FormatCheck(ReadOnlySpan<byte> code)
    {
        ulong value = 0;
        foreach (var b in code)
        {
            value = (value << 8) | b;
        }

        value %= 10_000_000_000UL;
        return $"{value / 100_000:D5}-{value % 100_000:D5}";
    }
}
