using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Identity;

/// <summary>
/// What this endpoint presents in a handshake: its private signing key (ECDSA or RSA) and either a
/// certificate chain (leaf first) or nothing but the raw public key. Owns and disposes the key.
/// </summary>
public sealed class LocalCredential : IDisposable
{
    private LocalCredential(AsymmetricAlgorithm key, PeerCredential presented, X509Certificate2? certificate)
    {
        Key = key;
        Presented = presented;
        Certificate = certificate;
        Fingerprint = Identity.Fingerprint.Of(presented.SubjectPublicKeyInfo);
    }

    /// <summary>The private key: an <see cref="ECDsa"/> or an <see cref="RSA"/>.</summary>
    public AsymmetricAlgorithm Key { get; }

    /// <summary>What goes on the wire: the chain or the raw SPKI.</summary>
    public PeerCredential Presented { get; }

    /// <summary>The leaf certificate, if this credential has one.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary><c>SHA256:…</c> of this credential's public key.</summary>
    public string Fingerprint { get; }

    /// <summary>A certificate (with or without its private key attached) and the matching private key.</summary>
    public static LocalCredential FromCertificate(X509Certificate2 certificate, AsymmetricAlgorithm privateKey, IEnumerable<X509Certificate2>? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(privateKey);
        var chain = new List<byte[]> { certificate.RawData };
        if (intermediates is not null)
        {
            chain.AddRange(intermediates.Select(c => c.RawData));
        }

        var presented = PeerCredential.FromCertificateChain(chain);
        EnsureKeyMatches(presented.SubjectPublicKeyInfo, privateKey);
        return new LocalCredential(privateKey, presented, certificate);
    }

    /// <summary>A bare key pair, for peers that pin keys by fingerprint instead of using certificates.</summary>
    public static LocalCredential FromRawKey(AsymmetricAlgorithm privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        return new LocalCredential(privateKey, PeerCredential.FromRawPublicKey(privateKey.ExportSubjectPublicKeyInfo()), null);
    }

    /// <summary>Releases the private key and certificate; the credential cannot be used afterwards.</summary>
    public void Dispose()
    {
        Key.Dispose();
        Certificate?.Dispose();
    }

    private static void EnsureKeyMatches(byte[] certificateSpki, AsymmetricAlgorithm privateKey)
    {
        if (!CryptographicOperations.FixedTimeEquals(certificateSpki, privateKey.ExportSubjectPublicKeyInfo()))
        {
            throw new ArgumentException("The private key does not belong to the certificate.", nameof(privateKey));
        }
    }
}
