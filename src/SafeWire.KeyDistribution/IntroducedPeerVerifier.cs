using SafeWire.Identity;

namespace SafeWire.KeyDistribution;

/// <summary>
/// Trust for an end-to-end peer: the key manager introduced it by fingerprint, and its certificate must
/// also chain to the home CA (valid, not revoked). Peers hold client certificates, so the chain is checked
/// for the client role whichever side of the handshake the peer plays; the name is not checked, the key is.
/// </summary>
internal sealed class IntroducedPeerVerifier : IPeerVerifier
{
    private readonly IPeerVerifier _ca;
    private readonly string _expectedFingerprint;

    public IntroducedPeerVerifier(IPeerVerifier ca, string expectedFingerprint)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentException.ThrowIfNullOrEmpty(expectedFingerprint);
        _ca = ca;
        _expectedFingerprint = expectedFingerprint;
    }

    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var fingerprint = Fingerprint.Of(credential.SubjectPublicKeyInfo);
        if (!string.Equals(fingerprint, _expectedFingerprint, StringComparison.Ordinal))
        {
            throw new TrustException(TrustFailureReason.UnknownKey, $"The peer presented key {fingerprint}, but the key manager introduced {_expectedFingerprint}.");
        }

        return _ca.Verify(credential, context with { Role = PeerRole.Client, ExpectedName = null });
    }
}
