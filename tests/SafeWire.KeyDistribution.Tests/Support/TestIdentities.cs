using System.Security.Cryptography;
using SafeWire.Identity;

namespace SafeWire.KeyDistribution.Tests.Support;

/// <summary>Identities for tests that run over plain streams: a real key's SPKI and fingerprint, no certificate.</summary>
internal static class TestIdentities
{
    public static PeerIdentity Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        return new PeerIdentity(name, Fingerprint.Of(spki), spki, null);
    }
}

/// <summary>A clock tests move by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
