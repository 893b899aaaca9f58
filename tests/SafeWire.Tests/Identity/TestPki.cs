using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;
using SafeWire.TestSupport;

namespace SafeWire.Tests.Identity;

/// <summary>A CA in a temp home plus helpers to issue credentials from it.</summary>
internal sealed class TestPki : IDisposable
{
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    public TestPki(string caName = "Test CA")
    {
        Home = new SafeWireHome(Directory.Path);
        Ca = Home.LoadOrCreateCa(name: caName);
    }

    public TempDirectory Directory { get; } = new();

    public SafeWireHome Home { get; }

    public CertificateAuthority Ca { get; }

    public (X509Certificate2 Certificate, ECDsa Key) IssueServer(string name = "server", int days = 30, DateTimeOffset? now = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new LeafRequest(name, PeerRole.Server) { DnsNames = ["localhost", "*.example.test"], IpAddresses = [IPAddress.Loopback], Days = days };
        return (Ca.Issue(request, key, now ?? Now), key);
    }

    public (X509Certificate2 Certificate, ECDsa Key) IssueClient(string name = "alice", int days = 30, DateTimeOffset? now = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (Ca.Issue(new LeafRequest(name, PeerRole.Client) { Days = days }, key, now ?? Now), key);
    }

    public static PeerCredential Credential(X509Certificate2 certificate) => PeerCredential.FromCertificateChain([certificate.RawData]);

    public void Dispose()
    {
        Ca.Dispose();
        Directory.Dispose();
    }
}
