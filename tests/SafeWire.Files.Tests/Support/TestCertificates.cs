using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Files.Tests.Support;

/// <summary>
/// A throwaway CA and a server certificate it issued (localhost, 127.0.0.1), like the ones SafeWire's home CA
/// makes; the CA is written as PEM so curl, Python and lftp can trust it.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private static readonly Lazy<TestCertificates> s_shared = new(CreateShared);

    /// <summary>Writes the CA, the server certificate and its private key (PEM) into <paramref name="directory"/>; <see cref="Dispose"/> deletes it.</summary>
    public TestCertificates(string directory)
    {
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=SafeWire Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        using var issued = request.Create(Ca, now.AddDays(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        Server = issued.CopyWithPrivateKey(serverKey);

        CaPemPath = Path.Combine(directory, "ca.pem");
        File.WriteAllText(CaPemPath, Ca.ExportCertificatePem());
        ServerCertPemPath = Path.Combine(directory, "server.pem");
        File.WriteAllText(ServerCertPemPath, Server.ExportCertificatePem());
        ServerKeyPemPath = Path.Combine(directory, "server.key");
        File.WriteAllText(ServerKeyPemPath, serverKey.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>One set for the whole test run (making keys is cheap, but clients cache nothing between sets).</summary>
    public static TestCertificates Shared => s_shared.Value;

    /// <summary>Where the PEM files are.</summary>
    public string Directory { get; }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Server { get; }

    public string CaPemPath { get; }

    public string ServerCertPemPath { get; }

    public string ServerKeyPemPath { get; }

    /// <summary>Frees the keys and deletes the directory (it holds a private key).</summary>
    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    /// <summary>The shared set lives in a fresh temporary folder, deleted when the test process exits.</summary>
    private static TestCertificates CreateShared()
    {
        var shared = new TestCertificates(System.IO.Directory.CreateTempSubdirectory("safewire-test-ca-").FullName);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => shared.Dispose();
        return shared;
    }
}
