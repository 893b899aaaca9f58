using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;

namespace SafeWire.Chat.Channels;

/// <summary>
/// Client policy of an open chat server (neither <c>--allow</c> nor <c>--require-client-cert</c>): every client may
/// join, and the key it proved in the handshake identifies it (the server registry records it by fingerprint).
/// The identity carries no name, so the client is shown under the name it asks for (unverified in this mode).
/// </summary>
public sealed class OpenAdmissionVerifier : IPeerVerifier
{
    /// <summary>Accepts any well-formed key or certificate and returns an unnamed identity carrying its fingerprint; a certificate that does not parse is refused as malformed.</summary>
    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var fingerprint = Fingerprint.Of(credential.SubjectPublicKeyInfo);
        if (credential.IsRawPublicKey)
        {
            return new PeerIdentity(string.Empty, fingerprint, credential.SubjectPublicKeyInfo, null);
        }

        try
        {
            // Parsed only to refuse a malformed certificate; not kept: the server needs the key's fingerprint, and an
            // X509Certificate2 per connection (with its native copy) would be most of an idle connection's cost.
            using var certificate = X509CertificateLoader.LoadCertificate(credential.CertificateChain[0]);
            return new PeerIdentity(string.Empty, fingerprint, credential.SubjectPublicKeyInfo, null);
        }
        catch (CryptographicException e)
        {
            throw new TrustException(TrustFailureReason.Malformed, "The client's certificate could not be parsed: " + e.Message, e);
        }
    }
}
