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
            var certificate = X509CertificateLoader.LoadCertificate(credential.CertificateChain[0]);
            return new PeerIdentity(string.Empty, fingerprint, credential.SubjectPublicKeyInfo, certificate);
        }
        catch (CryptographicException e)
        {
            throw new TrustException(TrustFailureReason.Malformed, "The client's certificate could not be parsed: " + e.Message, e);
        }
    }
}
