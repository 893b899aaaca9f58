using Xunit;
using System.Security.Cryptography;
using SafeWire.Identity;

namespace SafeWire.Tests.Identity;

public sealed class CaVerifierTests
{
    private static readonly PeerVerificationContext s_server = new(PeerRole.Server, "localhost", TestPki.Now);

    private static TrustFailureReason Reject(CaVerifier verifier, PeerCredential credential, PeerVerificationContext context) =>
        Assert.Throws<TrustException>(() => verifier.Verify(credential, context)).Reason;

    [Fact]
    public void AcceptsAGoodServerAndClient()
    {
        using var pki = new TestPki();
        var verifier = pki.Home.CreateCaVerifier();
        var (server, serverKey) = pki.IssueServer();
        var identity = verifier.Verify(TestPki.Credential(server), s_server);
        Assert.Equal("server", identity.Name);
        Assert.Equal(Fingerprint.Of(serverKey.ExportSubjectPublicKeyInfo()), identity.Fingerprint);
        Assert.Equal(server.RawData, identity.Certificate!.RawData);

        // IP SAN and wildcard DNS SAN.
        verifier.Verify(TestPki.Credential(server), s_server with { ExpectedName = "127.0.0.1" });
        verifier.Verify(TestPki.Credential(server), s_server with { ExpectedName = "a.example.test" });

        var (client, _) = pki.IssueClient("alice");
        Assert.Equal("alice", verifier.Verify(TestPki.Credential(client), new PeerVerificationContext(PeerRole.Client, "alice", TestPki.Now)).Name);
        Assert.Equal("alice", verifier.Verify(TestPki.Credential(client), new PeerVerificationContext(PeerRole.Client, null, TestPki.Now)).Name);
    }

    [Fact]
    public void Expired()
    {
        using var pki = new TestPki();
        var (server, _) = pki.IssueServer(days: 1);
        Assert.Equal(TrustFailureReason.Expired, Reject(pki.Home.CreateCaVerifier(), TestPki.Credential(server), s_server with { Now = TestPki.Now.AddDays(2) }));
    }

    [Fact]
    public void NotYetValid()
    {
        using var pki = new TestPki();
        var (server, _) = pki.IssueServer(now: TestPki.Now.AddDays(5));
        Assert.Equal(TrustFailureReason.NotYetValid, Reject(pki.Home.CreateCaVerifier(), TestPki.Credential(server), s_server));
    }

    [Fact]
    public void UntrustedIssuerForAnotherCa()
    {
        using var pki = new TestPki();
        using var other = new TestPki("Other CA");
        var (server, _) = other.IssueServer();
        Assert.Equal(TrustFailureReason.UntrustedIssuer, Reject(pki.Home.CreateCaVerifier(), TestPki.Credential(server), s_server));
    }

    [Fact]
    public void UntrustedIssuerForASameNamedImpostorCa()
    {
        using var pki = new TestPki("Same Name");
        using var impostor = new TestPki("Same Name");
        var (server, _) = impostor.IssueServer();
        Assert.Equal(TrustFailureReason.UntrustedIssuer, Reject(pki.Home.CreateCaVerifier(), TestPki.Credential(server), s_server));
    }

    [Fact]
    public void RevokedAndTheSameVerifierSeesTheNewCrl()
    {
        using var pki = new TestPki();
        var verifier = pki.Home.CreateCaVerifier();
        var (server, _) = pki.IssueServer();
        verifier.Verify(TestPki.Credential(server), s_server);
        pki.Ca.Revoke(server.SerialNumber, TestPki.Now);
        Assert.Equal(TrustFailureReason.Revoked, Reject(verifier, TestPki.Credential(server), s_server));
        Assert.Equal(TrustFailureReason.Revoked, Reject(pki.Home.CreateCaVerifier(), TestPki.Credential(server), s_server));
    }

    [Fact]
    public void NameMismatchForServerHostAndClientName()
    {
        using var pki = new TestPki();
        var verifier = pki.Home.CreateCaVerifier();
        var (server, _) = pki.IssueServer();
        Assert.Equal(TrustFailureReason.NameMismatch, Reject(verifier, TestPki.Credential(server), s_server with { ExpectedName = "evil.example" }));
        Assert.Equal(TrustFailureReason.NameMismatch, Reject(verifier, TestPki.Credential(server), s_server with { ExpectedName = "10.0.0.1" }));
        var (client, _) = pki.IssueClient("alice");
        Assert.Equal(TrustFailureReason.NameMismatch, Reject(verifier, TestPki.Credential(client), new PeerVerificationContext(PeerRole.Client, "bob", TestPki.Now)));
    }

    [Fact]
    public void WrongKeyUsageForAClientCertificateUsedAsServerAndViceVersa()
    {
        using var pki = new TestPki();
        var verifier = pki.Home.CreateCaVerifier();
        var (client, _) = pki.IssueClient("localhost");
        Assert.Equal(TrustFailureReason.WrongKeyUsage, Reject(verifier, TestPki.Credential(client), s_server));
        var (server, _) = pki.IssueServer();
        Assert.Equal(TrustFailureReason.WrongKeyUsage, Reject(verifier, TestPki.Credential(server), new PeerVerificationContext(PeerRole.Client, null, TestPki.Now)));
        Assert.Equal(TrustFailureReason.WrongKeyUsage, Reject(verifier, TestPki.Credential(pki.Ca.Certificate), new PeerVerificationContext(PeerRole.Client, null, TestPki.Now)));
    }

    [Fact]
    public void UnknownKeyForABarePublicKey()
    {
        using var pki = new TestPki();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(TrustFailureReason.UnknownKey, Reject(pki.Home.CreateCaVerifier(), PeerCredential.FromRawPublicKey(key.ExportSubjectPublicKeyInfo()), s_server));
    }

    [Fact]
    public void MalformedForGarbageCertificates()
    {
        var error = Assert.Throws<TrustException>(() => PeerCredential.FromCertificateChain([[0x30, 0x03, 0x02, 0x01, 0x00]]));
        Assert.Equal(TrustFailureReason.Malformed, error.Reason);
    }

    [Fact]
    public void ACrlNotSignedByTheCaFailsClosed()
    {
        using var pki = new TestPki();
        using var other = new TestPki(pki.Ca.Certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false));
        var (server, _) = pki.IssueServer();
        File.Copy(other.Home.CrlPath, pki.Home.CrlPath, overwrite: true); // same issuer name, wrong key
        Assert.Equal(TrustFailureReason.UntrustedIssuer, Reject(pki.Home.CreateCaVerifier(), TestPki.Credential(server), s_server));
        File.Delete(pki.Home.CrlPath);
        Assert.Equal(TrustFailureReason.UntrustedIssuer, Reject(CaVerifier.FromFiles(pki.Home.CaCertificatePath, pki.Home.CrlPath), TestPki.Credential(server), s_server));
    }

    [Fact]
    public void RsaCaAndRsaLeafVerify()
    {
        using var dir = new SafeWire.TestSupport.TempDirectory();
        var home = new SafeWireHome(dir.Path);
        using var ca = home.LoadOrCreateCa(algorithm: KeyAlgorithm.Rsa3072);
        using var key = KeyFile.Generate(KeyAlgorithm.Rsa3072);
        using var leaf = ca.Issue(new LeafRequest("rsa-server", PeerRole.Server) { DnsNames = ["localhost"] }, key, TestPki.Now);
        ca.Revoke("0A0B", TestPki.Now);
        Assert.Equal("rsa-server", home.CreateCaVerifier().Verify(TestPki.Credential(leaf), s_server).Name);
        Assert.True(ca.ReadCrl().IsSignedBy(ca.Certificate));
    }
}
