using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Protocol.Handshake;

namespace SafeWire.Transport;

/// <summary>Settings shared by both ends of a <see cref="SecureStream"/>.</summary>
public abstract class SecureChannelOptions
{
    /// <summary>Acceptable suites in preference order (client: the offer; server: its choice order).</summary>
    public IList<CipherSuite> CipherSuites { get; set; } = [.. Protocol.CipherSuites.Default];

    /// <summary>The whole handshake must finish within this time, or it fails with <see cref="Alert.HandshakeTimeout"/>.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock for certificate validity, ticket expiry and the handshake timeout.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Sees every handshake message and derived secret of this end (safewire trace, key logs). Leave null in production.</summary>
    public IHandshakeObserver? Observer { get; set; }

    /// <summary>Test hook: fixes randomness (hello randoms, session IDs, ticket nonces).</summary>
    internal Action<Span<byte>>? Random { get; set; }

    /// <summary>Test hook: fixes the ephemeral ECDH key.</summary>
    internal Func<ECDiffieHellman>? EphemeralKeyFactory { get; set; }

    /// <summary>Test hook: signs CertificateVerify content (ECDSA is randomized; tests replay signatures).</summary>
    internal Func<LocalCredential, byte[], Protocol.Messages.CertificateVerify>? Signer { get; set; }

    /// <summary>Records per key before an automatic key update; tests lower it to force many updates.</summary>
    internal long KeyUpdateAfterRecords { get; set; } = ProtocolConstants.DefaultKeyUpdateRecords;

    internal void Validate()
    {
        if (CipherSuites is null || CipherSuites.Count == 0 || CipherSuites.Any(s => !Protocol.CipherSuites.IsKnown((ushort)s)))
        {
            throw new ArgumentException("CipherSuites must list at least one known suite.", nameof(CipherSuites));
        }

        if (HandshakeTimeout <= TimeSpan.Zero && HandshakeTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException("HandshakeTimeout must be positive.", nameof(HandshakeTimeout));
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    internal HandshakeSettings ToSettings(bool isClient, LocalCredential? credential, IPeerVerifier? verifier, string? serverName, bool requireClient, SessionTicketStore? store, SessionTicketCache? cache)
    {
        return new HandshakeSettings
        {
            IsClient = isClient,
            CipherSuites = [.. CipherSuites.Distinct()],
            Credential = credential,
            PeerVerifier = verifier,
            ServerName = serverName,
            RequireClientCredential = requireClient,
            TicketStore = store,
            TicketCache = cache,
            Now = TimeProvider.GetUtcNow(),
            KeyUpdateAfterRecords = KeyUpdateAfterRecords,
            Observer = Observer,
            Random = Random ?? RandomNumberGenerator.Fill,
            CreateEphemeralKey = EphemeralKeyFactory ?? HandshakeSettings.NewEphemeralKey,
            Sign = Signer ?? HandshakeCrypto.Sign,
        };
    }
}

/// <summary>How a client connects: whom it trusts, what name it expects, what it presents.</summary>
public sealed class SecureClientOptions : SecureChannelOptions
{
    /// <summary>Required: the policy that decides whether the server is trusted (CA, known hosts, pinned key).</summary>
    public IPeerVerifier? ServerVerifier { get; set; }

    /// <summary>The name the server's certificate must carry (checked by the verifier) and the ticket cache key.</summary>
    public string? ServerName { get; set; }

    /// <summary>Presented when the server asks for client authentication.</summary>
    public LocalCredential? ClientCredential { get; set; }

    /// <summary>Where resumption tickets are kept; null disables resumption.</summary>
    public SessionTicketCache? SessionCache { get; set; }
}

/// <summary>How a server accepts: its credential, and whether and how it authenticates clients.</summary>
public sealed class SecureServerOptions : SecureChannelOptions
{
    /// <summary>Required: the server's key and certificate chain (or raw key).</summary>
    public LocalCredential? ServerCredential { get; set; }

    /// <summary>Client trust policy (CA, allow-list); null = the server does not ask clients for credentials.</summary>
    public IPeerVerifier? ClientVerifier { get; set; }

    /// <summary>With a <see cref="ClientVerifier"/>: refuse clients that present nothing.</summary>
    public bool RequireClientCredential { get; set; }

    /// <summary>Issues and redeems resumption tickets; null disables resumption.</summary>
    public SessionTicketStore? SessionTickets { get; set; }

    /// <summary>A copy with another handshake timeout (the listener's per-connection deadline).</summary>
    internal SecureServerOptions WithHandshakeTimeout(TimeSpan timeout)
    {
        var copy = (SecureServerOptions)MemberwiseClone();
        copy.CipherSuites = [.. CipherSuites];
        copy.HandshakeTimeout = timeout;
        return copy;
    }

    /// <summary>
    /// Receives each connection whose client the <see cref="ClientVerifier"/> admitted only to join
    /// (<see cref="PeerIdentity.IsJoinRequest"/>, e.g. <c>SafeWire.Enrollment.EnrollmentServer.HandleAsync</c>); such a
    /// connection is never handed to the application and is closed afterwards. Null: it is closed at once.
    /// </summary>
    public Func<SecureStream, System.Net.IPEndPoint?, CancellationToken, Task>? JoinHandler { get; set; }

    /// <summary>
    /// False for a connection meant for the application. For one whose client came only to join, true once the
    /// <see cref="JoinHandler"/> (if any) has handled it, stopped by either token: the caller closes it and never hands
    /// it on. The tokens are linked only for a join, not for every connection.
    /// </summary>
    internal async Task<bool> HandledAsJoinAsync(SecureStream stream, System.Net.IPEndPoint? remote, CancellationToken cancellationToken, CancellationToken alsoStoppedBy = default)
    {
        if (stream.RemoteIdentity?.IsJoinRequest != true)
        {
            return false;
        }

        if (JoinHandler is { } join)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, alsoStoppedBy);
            await join(stream, remote, stop.Token).ConfigureAwait(false);
        }

        return true;
    }
}
