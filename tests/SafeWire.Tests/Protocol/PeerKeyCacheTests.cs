using System.Security.Cryptography;
using SafeWire.Protocol.Handshake;
using SafeWire.Protocol.Messages;

namespace SafeWire.Tests.Protocol;

/// <summary>The cached verification keys must refuse exactly what a fresh import refuses.</summary>
public sealed class PeerKeyCacheTests
{
    private static readonly byte[] s_content = RandomNumberGenerator.GetBytes(130);

    [Fact]
    public void CachedKey_StillRejectsABadSignature()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        var good = key.SignData(s_content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        Assert.True(PeerKeyCache.Verify(SignatureScheme.EcdsaSecp256r1Sha256, spki, good, s_content));
        Assert.True(PeerKeyCache.Verify(SignatureScheme.EcdsaSecp256r1Sha256, spki, good, s_content)); // now from the cache

        var tampered = (byte[])s_content.Clone();
        tampered[^1] ^= 1;
        Assert.False(PeerKeyCache.Verify(SignatureScheme.EcdsaSecp256r1Sha256, spki, good, tampered));
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var foreign = other.SignData(s_content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        Assert.False(PeerKeyCache.Verify(SignatureScheme.EcdsaSecp256r1Sha256, spki, foreign, s_content));
        Assert.False(PeerKeyCache.Verify(SignatureScheme.EcdsaSecp256r1Sha256, spki, [0x30, 0x00], s_content));
    }

    [Fact]
    public void WrongKeyTypeSizeOrScheme_IsRefused()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var p384Signature = p384.SignData(s_content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        Assert.False(PeerKeyCache.Verify(SignatureScheme.EcdsaSecp256r1Sha256, p384.ExportSubjectPublicKeyInfo(), p384Signature, s_content));

        using var rsa = RSA.Create(2048);
        var pss = rsa.SignData(s_content, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        Assert.True(PeerKeyCache.Verify(SignatureScheme.RsaPssRsaeSha256, rsa.ExportSubjectPublicKeyInfo(), pss, s_content));
        Assert.False(PeerKeyCache.Verify(SignatureScheme.EcdsaSecp256r1Sha256, rsa.ExportSubjectPublicKeyInfo(), pss, s_content));
        Assert.False(PeerKeyCache.Verify((SignatureScheme)0x0401, rsa.ExportSubjectPublicKeyInfo(), pss, s_content));

        using var small = RSA.Create(1024);
        var smallPss = small.SignData(s_content, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        Assert.False(PeerKeyCache.Verify(SignatureScheme.RsaPssRsaeSha256, small.ExportSubjectPublicKeyInfo(), smallPss, s_content));
        Assert.False(PeerKeyCache.Verify(SignatureScheme.RsaPssRsaeSha256, [1, 2, 3], pss, s_content));
    }
}
