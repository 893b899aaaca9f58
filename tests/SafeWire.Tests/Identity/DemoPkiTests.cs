using SafeWire.Identity;
using Xunit;

namespace SafeWire.Tests.Identity;

/// <summary>The shipped demo PKI (examples/demo-pki) is consistent: apps and their tests rely on it.</summary>
public sealed class DemoPkiTests
{
    private static string DemoHome()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SafeWire.slnx")))
            {
                return Path.Combine(dir.FullName, "examples", "demo-pki");
            }
        }

        throw new InvalidOperationException("repository root (SafeWire.slnx) not found");
    }

    [Fact]
    public void DemoCertificatesVerifyAndOnlyAliceAndBobAreAllowed()
    {
        var home = new SafeWireHome(DemoHome());
        var verifier = home.CreateCaVerifier();
        var allow = home.CreateAllowListVerifier();
        var now = DateTimeOffset.UtcNow;

        using (var server = LocalCredential.FromCertificate(CertificateFile.Read(home.CertificatePath("server")), KeyFile.ReadPrivateKey(home.CertificateKeyPath("server"))))
        {
            Assert.Equal("server", verifier.Verify(server.Presented, new PeerVerificationContext(PeerRole.Server, "localhost", now)).Name);
            verifier.Verify(server.Presented, new PeerVerificationContext(PeerRole.Server, "127.0.0.1", now));
        }

        foreach (var name in new[] { "alice", "bob", "mallory" })
        {
            using var client = LocalCredential.FromCertificate(CertificateFile.Read(home.CertificatePath(name)), KeyFile.ReadPrivateKey(home.CertificateKeyPath(name)));
            var context = new PeerVerificationContext(PeerRole.Client, null, now);
            Assert.Equal(name, verifier.Verify(client.Presented, context).Name);
            if (name == "mallory")
            {
                Assert.Equal(TrustFailureReason.NotOnAllowList, Assert.Throws<TrustException>(() => allow.Verify(client.Presented, context)).Reason);
            }
            else
            {
                Assert.Equal(name, allow.Verify(client.Presented, context).Name);
            }
        }
    }
}
