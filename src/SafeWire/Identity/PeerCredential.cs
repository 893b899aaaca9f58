namespace SafeWire.Identity;

/// <summary>
/// What a peer presented in a handshake: either an X.509 chain (leaf first, DER) or a bare
/// SubjectPublicKeyInfo (DER) for raw pinned keys. Not yet trusted: a trust policy decides.
/// </summary>
public sealed class PeerCredential
{
    private PeerCredential(IReadOnlyList<byte[]> certificateChain, byte[] subjectPublicKeyInfo)
    {
        CertificateChain = certificateChain;
        SubjectPublicKeyInfo = subjectPublicKeyInfo;
    }

    /// <summary>DER certificates, leaf first; empty for a raw public key.</summary>
    public IReadOnlyList<byte[]> CertificateChain { get; }

    /// <summary>DER SubjectPublicKeyInfo of the key that signs the handshake.</summary>
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>True when the peer presented a bare public key rather than a certificate chain.</summary>
    public bool IsRawPublicKey => CertificateChain.Count == 0;

    /// <summary>A credential for a bare public key (DER SubjectPublicKeyInfo), e.g. to test a verifier.</summary>
    public static PeerCredential FromRawPublicKey(byte[] subjectPublicKeyInfo)
    {
        ArgumentNullException.ThrowIfNull(subjectPublicKeyInfo);
        return new PeerCredential([], subjectPublicKeyInfo);
    }

    /// <summary>A certificate chain; the SPKI is read from the leaf (throws TrustException Malformed if it cannot be).</summary>
    public static PeerCredential FromCertificateChain(IReadOnlyList<byte[]> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0)
        {
            throw new ArgumentException("A certificate chain needs at least the leaf.", nameof(chain));
        }

        try
        {
            using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(chain[0]);
            return new PeerCredential(chain, leaf.PublicKey.ExportSubjectPublicKeyInfo());
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new TrustException(TrustFailureReason.Malformed, "The peer's certificate could not be parsed: " + e.Message, e);
        }
    }
}
