using Xunit;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.TestSupport;

namespace SafeWire.Tests.Identity;

public sealed class ClientRegistryTests
{
    [Fact]
    public void RecordsFirstAndLastSeenByFingerprintAndPersists()
    {
        using var dir = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var fingerprint = Fingerprint.Of(key.ExportSubjectPublicKeyInfo());
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var registry = new ClientRegistry(dir["clients.jsonl"]);
        registry.Record(fingerprint, "alice", "127.0.0.1:5000", t0);
        registry.Record(fingerprint, "alice", "10.0.0.2:6000", t0.AddHours(1));

        var reopened = new ClientRegistry(dir["clients.jsonl"]);
        var record = Assert.Single(reopened.All());
        Assert.Equal(new ClientRecord(fingerprint, "alice", t0, t0.AddHours(1), "10.0.0.2:6000"), record);
        Assert.Equal(record, reopened.Find(fingerprint));
    }

    [Fact]
    public void ConcurrentRecordsAllLand()
    {
        using var dir = new TempDirectory();
        var registry = new ClientRegistry(dir["clients.jsonl"]);
        var fingerprints = Enumerable.Range(0, 40).Select(i => Fingerprint.Of(SHA256.HashData(BitConverter.GetBytes(i)))).ToArray();
        Parallel.For(0, fingerprints.Length, i => registry.Record(fingerprints[i], "c" + i, null, DateTimeOffset.UnixEpoch.AddSeconds(i)));
        Assert.Equal(40, new ClientRegistry(dir["clients.jsonl"]).All().Count);
    }

    [Fact]
    public void CorruptRegistryLineIsATypedError()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["clients.jsonl"], "{not json\n");
        Assert.Equal(IdentityFileError.Corrupt, Assert.Throws<IdentityFileException>(() => new ClientRegistry(dir["clients.jsonl"])).Error);
    }
}
