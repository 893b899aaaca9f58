using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;

namespace SafeWire.Benchmarks.Channel;

/// <summary>
/// Benchmark-only PKI made with CertificateRequest: an ECDSA P-256 CA and an ECDSA P-256 server certificate it
/// issued, in the two forms the contenders need (a SafeWire <see cref="LocalCredential"/> and an
/// <see cref="X509Certificate2"/> with its private key for SslStream). Both sides present the same certificate.
/// </summary>
internal sealed class BenchCertificates : IDisposable
{
    public const string ServerName = "bench.safewire";

    private BenchCertificates(X509Certificate2 root, X509Certificate2 serverWithKey, LocalCredential serverCredential)
    {
        Root = root;
        ServerWithKey = serverWithKey;
        ServerCredential = serverCredential;
    }

    /// <summary>The CA certificate (public part only): what clients trust.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The server certificate with its private key, for SslStream.</summary>
    public X509Certificate2 ServerWithKey { get; }

    /// <summary>The same certificate and key as a SafeWire credential.</summary>
    public LocalCredential ServerCredential { get; }

    public static BenchCertificates Create()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=SafeWire Bench CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        using var caWithKey = caRequest.CreateSelfSigned(notBefore, notBefore.AddYears(1));
        var root = X509CertificateLoader.LoadCertificate(caWithKey.RawData);

        var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + ServerName, serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(ServerName);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var issued = request.Create(caWithKey, notBefore, notBefore.AddMonths(6), [1, 2, 3, 4, 5, 6, 7, 8]);

        using var sslKey = ECDsa.Create(serverKey.ExportParameters(includePrivateParameters: true));
        var serverWithKey = issued.CopyWithPrivateKey(sslKey);
        var credential = LocalCredential.FromCertificate(X509CertificateLoader.LoadCertificate(issued.RawData), serverKey);
        return new BenchCertificates(root, serverWithKey, credential);
    }

    public void Dispose()
    {
        Root.Dispose();
        ServerWithKey.Dispose();
        ServerCredential.Dispose();
    }
}
