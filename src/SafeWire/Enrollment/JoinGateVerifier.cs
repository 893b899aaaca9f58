using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;

namespace SafeWire.Enrollment;

/// <summary>
/// A server's client policy with the door for join codes: a client presenting a join request (a self-signed
/// certificate whose subject and issuer are exactly <see cref="Subject"/>) is admitted in the join-only role
/// (<see cref="PeerIdentity.IsJoinRequest"/>); everything else goes to <paramref name="inner"/> (null: the server
/// accepts anonymous clients but refuses unknown credentials). The join-only role grants nothing but the join
/// protocol, where the code's secret must be proven; the handshake has already proven the key is the client's.
/// </summary>
internal sealed class JoinGateVerifier(IPeerVerifier? inner) : IPeerVerifier
{
    /// <summary>Subject and issuer of the certificate a joining client presents.</summary>
    public const string Subject = "CN=SafeWire join request";

    /// <summary>The name given to join-only identities.</summary>
    public const string JoinRequestName = "join request";

    /// <inheritdoc />
    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        ArgumentNullException.ThrowIfNull(credential);
        if (context.Role == PeerRole.Client && credential.CertificateChain.Count == 1 && IsJoinRequest(credential.CertificateChain[0]))
        {
            return new PeerIdentity(JoinRequestName, Fingerprint.Of(credential.SubjectPublicKeyInfo), credential.SubjectPublicKeyInfo, null) { IsJoinRequest = true };
        }

        var identity = inner is not null
            ? inner.Verify(credential, context)
            : throw new TrustException(TrustFailureReason.UnknownKey, "This server does not authenticate clients by key or certificate.");
        return identity.IsJoinRequest ? identity with { IsJoinRequest = false } : identity;
    }

    // The handshake has already parsed this certificate (for its key); its subject and issuer are read here from the DER
    // itself, without handing the certificate to the platform a second time for every join.
    private static bool IsJoinRequest(byte[] der)
    {
        try
        {
            var certificate = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var tbs = certificate.ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                tbs.ReadEncodedValue(); // version
            }

            tbs.ReadIntegerBytes(); // serial number
            tbs.ReadSequence(); // signature algorithm
            var issuer = tbs.ReadEncodedValue();
            tbs.ReadSequence(); // validity
            var subject = tbs.ReadEncodedValue();
            return new X500DistinguishedName(subject.Span).Name == Subject && new X500DistinguishedName(issuer.Span).Name == Subject;
        }
        catch (Exception e) when (e is AsnContentException or System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }
}
