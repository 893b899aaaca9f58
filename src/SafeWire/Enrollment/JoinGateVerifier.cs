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

    private static bool IsJoinRequest(byte[] der)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            return certificate.SubjectName.Name == Subject && certificate.IssuerName.Name == Subject;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }
}
