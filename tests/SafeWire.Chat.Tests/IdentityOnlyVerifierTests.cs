using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Chat.Channels;
using SafeWire.Identity;

namespace SafeWire.Chat.Tests;

public sealed class IdentityOnlyVerifierTests
{
    [Fact]
    public void KeepsNameFingerprintAndKey_DisposesTheCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=alice", key, HashAlgorithmName.SHA256);
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        var spki = key.ExportSubjectPublicKeyInfo();
        var inner = new FixedVerifier(new PeerIdentity("alice", Fingerprint.Of(spki), spki, certificate));

        var identity = new IdentityOnlyVerifier(inner).Verify(PeerCredential.FromRawPublicKey(spki), new PeerVerificationContext(PeerRole.Client, null, DateTimeOffset.UtcNow));

        Assert.Equal("alice", identity.Name);
        Assert.Equal(Fingerprint.Of(spki), identity.Fingerprint);
        Assert.Equal(spki, identity.SubjectPublicKeyInfo);
        Assert.Null(identity.Certificate);
        Assert.Equal(IntPtr.Zero, certificate.Handle); // disposed, not left for the finalizer
    }

    [Fact]
    public void RefusalsPassThrough()
    {
        var inner = new RefusingVerifier();
        var e = Assert.Throws<TrustException>(() => new IdentityOnlyVerifier(inner).Verify(PeerCredential.FromRawPublicKey([1, 2, 3]), new PeerVerificationContext(PeerRole.Client, null, DateTimeOffset.UtcNow)));
        Assert.Equal(TrustFailureReason.NotOnAllowList, e.Reason);
    }

    private sealed class FixedVerifier(PeerIdentity identity) : IPeerVerifier
    {
        public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context) => identity;
    }

    private sealed class RefusingVerifier : IPeerVerifier
    {
        public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context) =>
            throw new TrustException(TrustFailureReason.NotOnAllowList, "not on the list");
    }
}
