using Xunit;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;

namespace SafeWire.Tests.Identity;

public sealed class CertificateAuthorityTests
{
    [Fact]
    public void RootIsASelfSignedCaWithKeyCertSignAndCrlSign()
    {
        using var pki = new TestPki();
        var root = pki.Ca.Certificate;
        Assert.Equal(root.SubjectName.RawData, root.IssuerName.RawData);
        var basic = root.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic.CertificateAuthority);
        Assert.True(basic.Critical);
        var usage = root.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.True(usage.KeyUsages.HasFlag(X509KeyUsageFlags.CrlSign));
        Assert.Single(root.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        Assert.Single(root.Extensions.OfType<X509AuthorityKeyIdentifierExtension>());
        Assert.True(File.Exists(pki.Home.CrlPath));
        Assert.Equal(BigInteger.One, pki.Ca.ReadCrl().CrlNumber);
    }

    [Fact]
    public void ServerLeafHasServerAuthAndSansAndARandomPositive16ByteSerial()
    {
        using var pki = new TestPki();
        var (leaf, key) = pki.IssueServer("web", days: 10);
        using (leaf)
        using (key)
        {
            Assert.Equal("CN=web", leaf.Subject);
            Assert.Equal(pki.Ca.Certificate.Subject, leaf.Issuer);
            Assert.Equal(16, leaf.SerialNumberBytes.Length);
            Assert.True(leaf.SerialNumberBytes.Span[0] is >= 0x40 and < 0x80);
            var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value);
            Assert.Equal(["1.3.6.1.5.5.7.3.1"], eku);
            Assert.Equal(["localhost", "*.example.test", "127.0.0.1"], CaVerifier.SubjectAltNames(leaf));
            Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
            Assert.InRange((leaf.NotAfter.ToUniversalTime() - TestPki.Now.UtcDateTime).TotalDays, 9.99, 10.01);
            var (other, otherKey) = pki.IssueServer("web");
            Assert.NotEqual(leaf.SerialNumber, other.SerialNumber);
            other.Dispose();
            otherKey.Dispose();
        }
    }

    [Fact]
    public void RevocationAddsTheSerialAndIncrementsTheCrlNumber()
    {
        using var pki = new TestPki();
        var (leaf, key) = pki.IssueClient();
        Assert.True(pki.Ca.Revoke(leaf.SerialNumber, TestPki.Now));
        Assert.False(pki.Ca.Revoke(leaf.SerialNumber, TestPki.Now));
        var crl = pki.Ca.ReadCrl();
        Assert.Equal(new BigInteger(2), crl.CrlNumber);
        Assert.True(crl.IsRevoked(leaf));
        Assert.True(crl.IsSignedBy(pki.Ca.Certificate));
        leaf.Dispose();
        key.Dispose();

        // The CRL number survives a reload of the CA from disk.
        using var reloaded = CertificateAuthority.Load(pki.Home.CaDirectory);
        Assert.True(reloaded.Revoke("01:02:03", TestPki.Now));
        Assert.Equal(new BigInteger(3), reloaded.ReadCrl().CrlNumber);
        Assert.True(reloaded.ReadCrl().IsRevoked("010203"));
    }

    [Theory]
    [InlineData("0a:0b", "0A0B")]
    [InlineData("00 00 0A 0B", "0A0B")]
    [InlineData("0xFF01", "00FF01")]
    [InlineData("1", "01")]
    public void SerialsAreNormalisedToTheirDerForm(string typed, string expected) =>
        Assert.Equal(expected, Convert.ToHexString(CertificateAuthority.ParseSerial(typed)));

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("xyz")]
    public void NonSerialsAreRejected(string typed) => Assert.Throws<ArgumentException>(() => CertificateAuthority.ParseSerial(typed));

    [Fact]
    public void CsrIsSignedWithOurProfileAndItsSignatureChecked()
    {
        using var pki = new TestPki();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=bob, O=Ignored", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true)); // asks to be a CA: ignored
        var pem = request.CreateSigningRequestPem();
        Assert.Equal("bob", CertificateAuthority.CommonNameOfRequest(pem));

        using var leaf = pki.Ca.SignRequest(pem, new LeafRequest("bob", PeerRole.Client), TestPki.Now);
        Assert.Equal("CN=bob", leaf.Subject);
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());

        var der = request.CreateSigningRequest();
        der[^1] ^= 0x01; // break the CSR's self-signature
        var tampered = PemEncoding.WriteString("CERTIFICATE REQUEST", der);
        Assert.Throws<IdentityFileException>(() => pki.Ca.SignRequest(tampered, new LeafRequest("bob", PeerRole.Client), TestPki.Now));
    }

    [Fact]
    public void EncryptedCaKeyNeedsItsPassword()
    {
        using var dir = new SafeWire.TestSupport.TempDirectory();
        var home = new SafeWireHome(dir.Path);
        home.LoadOrCreateCa("ca-pass").Dispose();
        Assert.Contains("ENCRYPTED PRIVATE KEY", File.ReadAllText(home.CaKeyPath), StringComparison.Ordinal);
        Assert.Equal(IdentityFileError.WrongPassword, Assert.Throws<IdentityFileException>(() => home.LoadOrCreateCa("nope")).Error);
        using var ca = home.LoadOrCreateCa("ca-pass");
        Assert.NotNull(ca.Certificate);
    }

    [Fact]
    public void HomeCreatesCredentialsOnceAndReusesThemByteForByte()
    {
        using var dir = new SafeWire.TestSupport.TempDirectory();
        var home = new SafeWireHome(dir.Path);
        using (var server = home.LoadOrCreateServerCredential("srv", ["localhost"], [IPAddress.Loopback]))
        using (var client = home.LoadOrCreateClientCredential("carol"))
        {
            Assert.Equal("carol", client.Certificate!.GetNameInfo(X509NameType.SimpleName, false));
            Assert.NotNull(server.Certificate);
        }

        var files = new[] { home.CaCertificatePath, home.CaKeyPath, home.CrlPath, home.CertificatePath("srv"), home.CertificateKeyPath("srv"), home.CertificatePath("carol"), home.CertificateKeyPath("carol") };
        var before = files.Select(File.ReadAllBytes).ToList();
        using (var again = home.LoadOrCreateServerCredential("srv", ["localhost"], [IPAddress.Loopback]))
        using (home.LoadOrCreateClientCredential("carol"))
        using (home.LoadOrCreateCa())
        {
            Assert.Equal(Fingerprint.Of(again.Presented.SubjectPublicKeyInfo), again.Fingerprint);
        }

        Assert.Equal(before, files.Select(File.ReadAllBytes).ToList());

        // Asking for a name the certificate lacks re-issues the certificate but keeps the key.
        using var widened = home.LoadOrCreateServerCredential("srv", ["localhost", "srv.example"], [IPAddress.Loopback]);
        Assert.Contains("srv.example", CaVerifier.SubjectAltNames(widened.Certificate!));
        Assert.Equal(before[4], File.ReadAllBytes(home.CertificateKeyPath("srv")));
    }

    [Fact]
    public void ANewServerCredentialIsForTheHomesIdentityKey_AnExistingServerKeyIsKept()
    {
        using var dir = new SafeWire.TestSupport.TempDirectory();
        var home = new SafeWireHome(dir.Path);
        using (var server = home.LoadOrCreateServerCredential("files", ["localhost"], [IPAddress.Loopback]))
        {
            Assert.True(File.Exists(home.NodeKeyPath));
            Assert.Equal(File.ReadAllText(home.NodeKeyPath), File.ReadAllText(home.CertificateKeyPath("files")));
            Assert.Equal(HomeIdentity.Open(home).Fingerprint(), server.Fingerprint);
        }

        // A home whose server already had a key of its own keeps it, so the pins its clients hold stay valid.
        using (var key = KeyFile.Generate(KeyAlgorithm.EcdsaP256))
        {
            KeyFile.WritePrivateKey(home.CertificateKeyPath("older"), key);
            using var older = home.LoadOrCreateServerCredential("older", ["localhost"], [IPAddress.Loopback]);
            Assert.Equal(Fingerprint.Of(key.ExportSubjectPublicKeyInfo()), older.Fingerprint);
            Assert.NotEqual(HomeIdentity.Open(home).Fingerprint(), older.Fingerprint);
        }

        // An identity key under a password cannot be read unattended: that home's server gets a key of its own.
        using var locked = new SafeWire.TestSupport.TempDirectory();
        var lockedHome = new SafeWireHome(locked.Path);
        lockedHome.LoadOrCreateKey(SafeWireHome.NodeKeyName, out _, password: "secret").Dispose();
        using var own = lockedHome.LoadOrCreateServerCredential("files", ["localhost"], [IPAddress.Loopback]);
        Assert.NotEqual(File.ReadAllText(lockedHome.NodeKeyPath), File.ReadAllText(lockedHome.CertificateKeyPath("files")));
        Assert.Contains("ENCRYPTED PRIVATE KEY", File.ReadAllText(lockedHome.NodeKeyPath), StringComparison.Ordinal);
    }

    [Fact]
    public void HomeResolvesExplicitThenEnvironment()
    {
        Assert.Equal(Path.GetFullPath("/tmp/x-home"), SafeWireHome.Resolve("/tmp/x-home").Root);
        Assert.EndsWith("alice.crt", new SafeWireHome("/tmp/h").CertificatePath("alice"), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SafeWireHome("/tmp/h").CertificatePath("../etc/passwd"));
    }
}
