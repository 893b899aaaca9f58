namespace SafeWire.Identity;

/// <summary>Which side the peer being verified plays: decides the required extended key usage.</summary>
public enum PeerRole
{
    /// <summary>The peer is a server (needs serverAuth; name checked against the host the client dialled).</summary>
    Server,
    /// <summary>The peer is a client (needs clientAuth).</summary>
    Client,
}

/// <summary>Inputs to a trust decision that come from the connection, not the credential.</summary>
/// <param name="Role">What the peer is.</param>
/// <param name="ExpectedName">The host name (server) or client name expected, or null to skip the name check.</param>
/// <param name="Now">The time to check validity against (passed in, so tests can move the clock).</param>
public readonly record struct PeerVerificationContext(PeerRole Role, string? ExpectedName, DateTimeOffset Now);

/// <summary>
/// A trust policy: CA roots + CRL, a pinned-key allow-list, known hosts, or a combination.
/// Returns the accepted identity or throws <see cref="TrustException"/> with the reason.
/// </summary>
public interface IPeerVerifier
{
    /// <summary>
    /// Decides whether to trust the peer that presented <paramref name="credential"/>, during the handshake (keep it quick:
    /// the handshake waits). Returns who the peer is, or throws <see cref="TrustException"/> saying why not; the
    /// handshake then fails on both sides with the matching alert. Called concurrently for different connections.
    /// </summary>
    /// <param name="credential">What the peer presented: a certificate chain or a bare public key.</param>
    /// <param name="context">The role the peer plays, the name it should have and the time to check validity against.</param>
    /// <returns>The identity the channel reports as <see cref="Transport.SecureStream.RemoteIdentity"/>.</returns>
    PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context);
}
