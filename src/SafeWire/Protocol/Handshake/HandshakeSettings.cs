using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Protocol.KeySchedule;

namespace SafeWire.Protocol.Handshake;

/// <summary>
/// Everything the sans-I/O handshake needs from outside: role, policy, credentials, and the clock and
/// randomness passed in (tests fix them for deterministic handshakes).
/// </summary>
internal sealed class HandshakeSettings
{
    public required bool IsClient { get; init; }

    /// <summary>Suites in preference order (the client's offer, or the server's acceptable set).</summary>
    public required IReadOnlyList<CipherSuite> CipherSuites { get; init; }

    /// <summary>Our credential: required for a server, optional for a client.</summary>
    public LocalCredential? Credential { get; init; }

    /// <summary>How the peer is verified; null on a server means no client authentication.</summary>
    public IPeerVerifier? PeerVerifier { get; init; }

    /// <summary>Client: the name the server must prove. Also the key for the ticket cache.</summary>
    public string? ServerName { get; init; }

    /// <summary>Server: refuse clients that present no credential.</summary>
    public bool RequireClientCredential { get; init; }

    public SessionTicketStore? TicketStore { get; init; }

    public SessionTicketCache? TicketCache { get; init; }

    public required DateTimeOffset Now { get; init; }

    public Action<Span<byte>> Random { get; init; } = RandomNumberGenerator.Fill;

    public Func<ECDiffieHellman> CreateEphemeralKey { get; init; } = NewEphemeralKey;

    public static ECDiffieHellman NewEphemeralKey() => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Signs CertificateVerify content; tests replace it to replay fixed signatures (ECDSA is randomized).</summary>
    public Func<LocalCredential, byte[], Messages.CertificateVerify> Sign { get; init; } = HandshakeCrypto.Sign;

    public KeyDerivation Derivation { get; init; } = KeyDerivation.SafeWire;

    public long KeyUpdateAfterRecords { get; init; } = ProtocolConstants.DefaultKeyUpdateRecords;

    /// <summary>Sees messages and secrets (safewire trace, key logs); null almost always.</summary>
    public IHandshakeObserver? Observer { get; init; }

    /// <summary>
    /// Tests and the fuzzer only (null otherwise): rewrites each handshake message this side sends after it entered
    /// the transcript, as an active attacker holding this side's keys would, so the peer's decoders see it.
    /// </summary>
    public Func<byte[], byte[]>? RewriteOutgoing { get; init; }

    /// <summary>Ticket cache key for this client's server.</summary>
    public string TicketKey => ServerName ?? string.Empty;
}

/// <summary>What a completed handshake established.</summary>
internal sealed class HandshakeResult : IDisposable
{
    public required CipherSuite Suite { get; init; }

    public required byte[] SessionId { get; init; }

    public required PeerIdentity? Peer { get; init; }

    public required bool Resumed { get; init; }

    public required ExporterSecret Exporter { get; init; }

    /// <summary>Client only: to turn NewSessionTicket messages into cached tickets.</summary>
    public ResumptionSecret? Resumption { get; init; }

    public void Dispose()
    {
        Exporter.Dispose();
        Resumption?.Dispose();
    }
}
