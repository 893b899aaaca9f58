using System.Security.Cryptography.X509Certificates;
using System.Text;
using SafeWire.Identity;

namespace SafeWire.Tests.Identity;

/// <summary>
/// The signature check behind CaVerifier's direct-issuer path (no X509Chain): it may only ever say "signed by this
/// CA" when that is true; everything else goes to the full chain build.
/// </summary>
public sealed class X509SignatureTests
{
    private static readonly PeerVerificationContext s_server = new(PeerRole.Server, "localhost", TestPki.Now);

    [Fact]
    public void ALeafIsSignedByItsCa_NotByASameNamedImpostor()
    {
        using var pki = new TestPki("Same Name");
        using var impostor = new TestPki("Same Name");
        var (server, _) = pki.IssueServer();

        Assert.True(X509Signature.IsCertificateSignedBy(server, pki.Ca.Certificate));
        Assert.False(X509Signature.IsCertificateSignedBy(server, impostor.Ca.Certificate));
    }

    [Fact]
    public void ChangedSignatureOrSignedBytesDoNotVerify()
    {
        using var pki = new TestPki();
        var (server, _) = pki.IssueServer();

        var badSignature = server.RawData;
        badSignature[^1] ^= 0x01; // the last byte of the ECDSA signature's s value
        using var withBadSignature = X509CertificateLoader.LoadCertificate(badSignature);
        Assert.False(X509Signature.IsCertificateSignedBy(withBadSignature, pki.Ca.Certificate));

        var renamed = server.RawData;
        var at = renamed.AsSpan().IndexOf(Encoding.ASCII.GetBytes("server"));
        renamed[at] = (byte)'S'; // "Server": still well-formed, no longer what the CA signed
        using var withRenamedSubject = X509CertificateLoader.LoadCertificate(renamed);
        Assert.False(X509Signature.IsCertificateSignedBy(withRenamedSubject, pki.Ca.Certificate));
    }

    [Fact]
    public void CaVerifierRefusesALeafWhoseSignatureWasChanged()
    {
        // Same issuer name and key identifier as a good leaf: only the signature tells them apart, and the direct
        // path must hand it to the chain build, which refuses it.
        using var pki = new TestPki();
        var (server, _) = pki.IssueServer();
        var tampered = server.RawData;
        tampered[^1] ^= 0x01;

        var e = Assert.Throws<TrustException>(() => pki.Home.CreateCaVerifier().Verify(PeerCredential.FromCertificateChain([tampered]), s_server));
        Assert.Equal(TrustFailureReason.UntrustedIssuer, e.Reason);
    }
}
