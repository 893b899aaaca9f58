using Xunit;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.TestSupport;

namespace SafeWire.Tests.Identity;

public sealed class PinnedKeyTests
{
    private static PeerCredential RawKey(out string fingerprint, out ECDsa key)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        fingerprint = Fingerprint.Of(spki);
        return PeerCredential.FromRawPublicKey(spki);
    }

    [Fact]
    public void AllowListAcceptsListedKeysByNameAndRefusesOthers()
    {
        using var dir = new TempDirectory();
        var alice = RawKey(out var aliceFingerprint, out _);
        var mallory = RawKey(out _, out _);
        var list = new AllowList();
        list.Add(new AllowListEntry(aliceFingerprint, "alice", "laptop"));
        list.Save(dir["allowed.txt"]);

        var verifier = new AllowListVerifier(dir["allowed.txt"]);
        var context = new PeerVerificationContext(PeerRole.Client, null, TestPki.Now);
        Assert.Equal("alice", verifier.Verify(alice, context).Name);
        Assert.Equal(TrustFailureReason.NotOnAllowList, Assert.Throws<TrustException>(() => verifier.Verify(mallory, context)).Reason);
        Assert.Equal(TrustFailureReason.NameMismatch, Assert.Throws<TrustException>(() => verifier.Verify(alice, context with { ExpectedName = "bob" })).Reason);

        // Removing the entry takes effect on the next verification (the file is re-read when it changes).
        var reloaded = AllowList.Load(dir["allowed.txt"]);
        Assert.Equal(1, reloaded.Remove("alice"));
        reloaded.Save(dir["allowed.txt"]);
        File.SetLastWriteTimeUtc(dir["allowed.txt"], DateTime.UtcNow.AddSeconds(5));
        Assert.Equal(TrustFailureReason.NotOnAllowList, Assert.Throws<TrustException>(() => verifier.Verify(alice, context)).Reason);
    }

    [Fact]
    public void ARefusalSaysHowToAddTheKeyToTheListTheServerReads()
    {
        using var dir = new TempDirectory();
        var mallory = RawKey(out var fingerprint, out var key);
        using var _ = key;
        var context = new PeerVerificationContext(PeerRole.Client, null, DateTimeOffset.UtcNow);

        // A server on a home other than the default: the command must name that home, or it would change another list.
        var home = new SafeWireHome(dir["srv"]);
        var refused = Assert.Throws<TrustException>(() => home.CreateAllowListVerifier().Verify(mallory, context));
        Assert.EndsWith($"add it with: safewire --home {home.Root} allow add {fingerprint} --name NAME", refused.Message, StringComparison.Ordinal);

        // The default home: no --home needed.
        var defaultHome = SafeWireHome.Resolve(null);
        Assert.EndsWith($"add it with: safewire allow add {fingerprint} --name NAME", AllowListVerifier.HowToAdd(defaultHome.AllowListPath, fingerprint), StringComparison.Ordinal);

        // A list of the server's own (files serve --allow FILE) is edited by hand.
        var custom = Assert.Throws<TrustException>(() => new AllowListVerifier(dir["team.txt"]).Verify(mallory, context));
        Assert.EndsWith($"add the line \"{fingerprint} NAME\" to that file", custom.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AllowListFileFormatRoundTripsAndRejectsBadLines()
    {
        using var dir = new TempDirectory();
        RawKey(out var fingerprint, out _);
        File.WriteAllText(dir["allowed.txt"], $"# comment\n\n{fingerprint} alice the laptop key\n");
        var list = AllowList.Load(dir["allowed.txt"]);
        Assert.Equal(new AllowListEntry(fingerprint, "alice", "the laptop key"), list.Entries.Single());
        list.Save(dir["copy.txt"]);
        Assert.Equal(list.Entries, AllowList.Load(dir["copy.txt"]).Entries);

        File.WriteAllText(dir["bad.txt"], "SHA256:short alice\n");
        Assert.Equal(IdentityFileError.Corrupt, Assert.Throws<IdentityFileException>(() => AllowList.Load(dir["bad.txt"])).Error);
        Assert.Throws<ArgumentException>(() => list.Add(new AllowListEntry(fingerprint, "two words")));
    }

    [Fact]
    public void CsvImportAcceptsFingerprintsPemAndBase64Keys()
    {
        using var dir = new TempDirectory();
        RawKey(out var f1, out _);
        RawKey(out var f2, out var k2);
        RawKey(out var f3, out var k3);
        var pem = k2.ExportSubjectPublicKeyInfoPem();
        var b64 = Convert.ToBase64String(k3.ExportSubjectPublicKeyInfo());
        File.WriteAllText(dir["allowed.csv"], $"name,public_key\nalice,{f1}\nbob,\"{pem}\"\r\ncarol,{b64}\n");
        var entries = AllowList.ImportCsv(dir["allowed.csv"]);
        Assert.Equal([("alice", f1), ("bob", f2), ("carol", f3)], entries.Select(e => (e.Name, e.Fingerprint)));

        File.WriteAllText(dir["bad.csv"], $"alice,{f1}\nbob,not-a-key\n");
        Assert.Equal(IdentityFileError.Corrupt, Assert.Throws<IdentityFileException>(() => AllowList.ImportCsv(dir["bad.csv"])).Error);
    }

    [Fact]
    public void KnownHostsTrustsOnFirstUseAndRefusesAChangedKey()
    {
        using var dir = new TempDirectory();
        var first = RawKey(out var fingerprint, out _);
        var second = RawKey(out _, out _);
        var verifier = new KnownHostsVerifier(dir["known_hosts"], port: 10101);
        var context = new PeerVerificationContext(PeerRole.Server, "Server.Example", TestPki.Now);

        Assert.Equal(fingerprint, verifier.Verify(first, context).Fingerprint);
        Assert.Contains($"server.example:10101 {fingerprint}", File.ReadAllText(dir["known_hosts"]), StringComparison.Ordinal);
        Assert.Equal(fingerprint, new KnownHostsVerifier(dir["known_hosts"], 10101).Verify(first, context).Fingerprint);

        var error = Assert.Throws<TrustException>(() => new KnownHostsVerifier(dir["known_hosts"], 10101).Verify(second, context));
        Assert.Equal(TrustFailureReason.HostKeyChanged, error.Reason);
        Assert.Contains("HAS CHANGED", error.Message, StringComparison.Ordinal);

        // Another port is another host entry; forgetting allows the new key.
        new KnownHostsVerifier(dir["known_hosts"], 2222).Verify(second, context);
        Assert.True(verifier.Forget("server.example"));
        verifier.Verify(second, context);
        Assert.Equal(Fingerprint.Of(second.SubjectPublicKeyInfo), verifier.Lookup("server.example"));
    }

    [Fact]
    public void CaOrPinnedAcceptsEitherButRevocationVetoes()
    {
        using var pki = new TestPki();
        var (client, clientKey) = pki.IssueClient("dave");
        var raw = RawKey(out var rawFingerprint, out _);
        var list = new AllowList();
        list.Add(new AllowListEntry(rawFingerprint, "pinned"));
        list.Add(new AllowListEntry(Fingerprint.Of(clientKey.ExportSubjectPublicKeyInfo()), "dave-pinned"));
        var verifier = new AnyOfVerifier(pki.Home.CreateCaVerifier(), new AllowListVerifier(list));
        var context = new PeerVerificationContext(PeerRole.Client, null, TestPki.Now);

        Assert.Equal("pinned", verifier.Verify(raw, context).Name);
        Assert.Equal("dave", verifier.Verify(TestPki.Credential(client), context).Name);
        pki.Ca.Revoke(client.SerialNumber, TestPki.Now);
        Assert.Equal(TrustFailureReason.Revoked, Assert.Throws<TrustException>(() => verifier.Verify(TestPki.Credential(client), context)).Reason);

        var stranger = RawKey(out _, out _);
        Assert.Equal(TrustFailureReason.NotOnAllowList, Assert.Throws<TrustException>(() => verifier.Verify(stranger, context)).Reason);
    }
}
