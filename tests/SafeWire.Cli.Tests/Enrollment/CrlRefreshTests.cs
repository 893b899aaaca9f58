using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Cli.Tests.Ux;
using SafeWire.Identity;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Enrollment;

/// <summary>
/// Revocation reaches clients: a joined client fetches its CA's revocation list again from the server it talks to once
/// its copy is older than <see cref="TrustedServers.CrlMaxAge"/>, checks the CA's signature and refuses a server whose
/// certificate was revoked. Time passing is the copy's age on disk (set back, not waited for).
/// </summary>
public sealed class CrlRefreshTests
{
    [Fact]
    public async Task ARevokedServerCertificateIsRefusedAtTheFirstConnectionAfterTheCopyIsAnHourOld()
    {
        using var dir = new TempDirectory();
        var serverHome = dir["server"];
        var clientHome = dir["client"];
        var root = Directory.CreateDirectory(dir["root"]).FullName;
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var address = "127.0.0.1:" + port;
        await using var serve = InProcess.Start("--home", serverHome, "files", "serve", "--root", root, "--port", port);
        await serve.WaitForAsync("Press Ctrl+C");

        var invite = await InProcess.RunAsync("--home", serverHome, "invite", "alice", "--server-address", address);
        Assert.True(invite.ExitCode == 0, invite.Error);
        var join = await InProcess.RunAsync("--home", clientHome, "join", invite.Output.Trim().Split('\n')[^1].Trim());
        Assert.True(join.ExitCode == 0, join.Error);
        Assert.Equal(0, (await InProcess.RunAsync("--home", clientHome, "files", "ls", address)).ExitCode);

        // The CA's administrator revokes the certificate the running server presents.
        string serial;
        using (var certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(serverHome, "certs", "files.crt")))
        {
            serial = certificate.SerialNumber;
        }

        var revoke = await InProcess.RunAsync("--home", serverHome, "cert", "revoke", serial);
        Assert.True(revoke.ExitCode == 0, revoke.Error);

        // Within the hour the client still uses the copy it has (the documented delay).
        var crl = Assert.Single(Directory.GetFiles(Path.Combine(clientHome, "trusted"), "*.crl"));
        var before = await File.ReadAllBytesAsync(crl, TestContext.Current.CancellationToken);
        var soon = await InProcess.RunAsync("--home", clientHome, "files", "ls", address);
        Assert.True(soon.ExitCode == 0, soon.Error);
        Assert.Equal(before, await File.ReadAllBytesAsync(crl, TestContext.Current.CancellationToken));

        // An hour later the copy is fetched again, and the revoked server is refused.
        File.SetLastWriteTimeUtc(crl, DateTime.UtcNow - TrustedServers.CrlMaxAge - TimeSpan.FromMinutes(1));
        var later = await InProcess.RunAsync("--home", clientHome, "files", "ls", address);
        Assert.Equal(1, later.ExitCode);
        var line = Assert.Single(later.ErrorLines);
        Assert.Contains($"presents a certificate (serial {serial}) that its CA \"SafeWire Local CA\" has revoked", line, StringComparison.Ordinal);
        Assert.True(RevocationList.Read(crl).IsRevoked(serial));
        Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(crl) < TimeSpan.FromMinutes(30));
        Assert.Empty(Directory.GetFiles(Path.Combine(clientHome, "trusted"), "*.tmp"));
        await serve.WaitForAsync("sent the CA's revocation list");
    }

    [Fact]
    public void AListNotSignedByTheJoinedCaOrOlderThanTheCopyIsNotStored()
    {
        using var dir = new TempDirectory();
        var now = DateTimeOffset.UtcNow;
        using var joined = CertificateAuthority.Create(dir["ca"], "Joined CA", now.AddMinutes(-10));
        using var other = CertificateAuthority.Create(dir["other"], "Joined CA", now.AddMinutes(-10));
        var home = new SafeWireHome(dir["client"]);
        var trusted = new TrustedServers(home);
        var first = joined.ReadCrl();
        var binding = trusted.Trust("server.example", joined.Certificate, first.RawData);
        var held = File.ReadAllBytes(binding.CrlPath);

        // Another CA with the same name: its list is refused, the copy is untouched.
        var forged = Assert.Throws<TrustException>(() => trusted.StoreCrl(binding, other.ReadCrl()));
        Assert.Contains("not signed by the CA this home joined", forged.Message, StringComparison.Ordinal);
        Assert.Equal(held, File.ReadAllBytes(binding.CrlPath));

        // A newer list from the joined CA replaces the copy; the older one, replayed afterwards, is refused.
        Assert.True(joined.Revoke("0A1B2C", now));
        trusted.StoreCrl(binding, joined.ReadCrl());
        Assert.True(RevocationList.Read(binding.CrlPath).IsRevoked("0A1B2C"));
        var replayed = Assert.Throws<TrustException>(() => trusted.StoreCrl(binding, first));
        Assert.Contains("older than the one this home holds", replayed.Message, StringComparison.Ordinal);
        Assert.True(RevocationList.Read(binding.CrlPath).IsRevoked("0A1B2C"));
        Assert.False(trusted.IsCrlStale(binding));
    }
}
