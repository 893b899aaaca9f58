using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;

namespace SafeWire.Tests.Support;

/// <summary>Test-only certificates made with CertificateRequest: a CA, and leaves it issues (ECDSA P-256 or RSA).</summary>
internal sealed class TestPki : IDisposable
{
    private long _serial = 1;

    public TestPki(string name = "SafeWire Test CA")
    {
        CaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, CaKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
    }

    public ECDsa CaKey { get; }

    public X509Certificate2 Root { get; }

    public List<byte[]> RevokedSerials { get; } = [];

    /// <summary>A leaf credential for <paramref name="name"/> (also its DNS SAN), server or client EKU.</summary>
    public LocalCredential Issue(string name, bool server = true, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool rsa = false)
    {
        AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA r
            ? new CertificateRequest("CN=" + name, r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest("CN=" + name, (ECDsa)key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        using var cert = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(CaKey), notBefore ?? DateTimeOffset.UtcNow.AddHours(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(1), serial);
        var withoutKey = X509CertificateLoader.LoadCertificate(cert.RawData);
        return LocalCredential.FromCertificate(withoutKey, key);
    }

    public void Revoke(LocalCredential credential) => RevokedSerials.Add(credential.Certificate!.GetSerialNumber());

    public void Dispose()
    {
        CaKey.Dispose();
        Root.Dispose();
    }
}
