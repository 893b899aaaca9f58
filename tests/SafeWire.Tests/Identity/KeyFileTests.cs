using Xunit;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.TestSupport;

namespace SafeWire.Tests.Identity;

public sealed class KeyFileTests
{
    // RFC 8410 section 10.3: an Ed25519 private key (a published example, not a secret).
    private const string Ed25519Pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256, "ECDSA P-256", 256)]
    [InlineData(KeyAlgorithm.Rsa3072, "RSA", 3072)]
    public void PrivateKeyRoundTripsAndIsDescribed(KeyAlgorithm algorithm, string name, int size)
    {
        using var dir = new TempDirectory();
        using var key = KeyFile.Generate(algorithm);
        KeyFile.WritePrivateKey(dir["k.key"], key);
        KeyFile.WritePublicKey(dir["k.pub"], key);

        using var read = KeyFile.ReadPrivateKey(dir["k.key"]);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), read.ExportSubjectPublicKeyInfo());
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(dir["k.key"]), StringComparison.Ordinal);
        var description = KeyFile.Describe(dir["k.pub"]);
        Assert.Equal(name, description.Algorithm);
        Assert.Equal(size, description.KeySize);
        Assert.Equal(Fingerprint.Of(key.ExportSubjectPublicKeyInfo()), description.Fingerprint);
        Assert.Equal(description.Fingerprint, KeyFile.Describe(dir["k.key"]).Fingerprint);
    }

    [Fact]
    public void PrivateKeyFileIsCreatedOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        using var dir = new TempDirectory();
        using var key = KeyFile.Generate(KeyAlgorithm.EcdsaP256);
        KeyFile.WritePrivateKey(dir["k.key"], key);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir["k.key"]));
        Assert.Single(Directory.GetFiles(dir.Path)); // no temp file left behind
    }

    [Fact]
    public void EncryptedKeyNeedsTheRightPassword()
    {
        using var dir = new TempDirectory();
        using var key = KeyFile.Generate(KeyAlgorithm.EcdsaP256);
        KeyFile.WritePrivateKey(dir["k.key"], key, "correct horse");
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(dir["k.key"]), StringComparison.Ordinal);

        using var read = KeyFile.ReadPrivateKey(dir["k.key"], "correct horse");
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), read.ExportSubjectPublicKeyInfo());
        Assert.Equal(IdentityFileError.WrongPassword, Assert.Throws<IdentityFileException>(() => KeyFile.ReadPrivateKey(dir["k.key"], "wrong")).Error);
        Assert.Equal(IdentityFileError.PasswordRequired, Assert.Throws<IdentityFileException>(() => KeyFile.ReadPrivateKey(dir["k.key"])).Error);
    }

    [Fact]
    public void EncryptedRsaKeyRoundTrips()
    {
        using var dir = new TempDirectory();
        using var key = KeyFile.Generate(KeyAlgorithm.Rsa3072);
        KeyFile.WritePrivateKey(dir["k.key"], key, "pw");
        using var read = KeyFile.ReadPrivateKey(dir["k.key"], "pw");
        Assert.IsAssignableFrom<RSA>(read);
    }

    [Theory]
    [InlineData("garbage\n", IdentityFileError.Corrupt)]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n", IdentityFileError.Corrupt)]
    [InlineData("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", IdentityFileError.Corrupt)]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", IdentityFileError.Corrupt)]
    [InlineData(Ed25519Pem, IdentityFileError.UnsupportedAlgorithm)]
    public void BadPrivateKeyFilesGiveTypedErrors(string content, IdentityFileError expected)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["bad.key"], content);
        var error = Assert.Throws<IdentityFileException>(() => KeyFile.ReadPrivateKey(dir["bad.key"]));
        Assert.Equal(expected, error.Error);
        Assert.Contains(dir["bad.key"], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedKeyFileIsCorrupt()
    {
        using var dir = new TempDirectory();
        using var key = KeyFile.Generate(KeyAlgorithm.EcdsaP256);
        KeyFile.WritePrivateKey(dir["k.key"], key);
        var bytes = File.ReadAllBytes(dir["k.key"]);
        File.WriteAllBytes(dir["k.key"], bytes[..(bytes.Length / 2)]);
        Assert.Equal(IdentityFileError.Corrupt, Assert.Throws<IdentityFileException>(() => KeyFile.ReadPrivateKey(dir["k.key"])).Error);
    }

    [Fact]
    public void PublicKeyOrMissingFileIsNotAPrivateKey()
    {
        using var dir = new TempDirectory();
        using var key = KeyFile.Generate(KeyAlgorithm.EcdsaP256);
        KeyFile.WritePublicKey(dir["k.pub"], key);
        Assert.Equal(IdentityFileError.WrongContent, Assert.Throws<IdentityFileException>(() => KeyFile.ReadPrivateKey(dir["k.pub"])).Error);
        Assert.Equal(IdentityFileError.NotFound, Assert.Throws<IdentityFileException>(() => KeyFile.ReadPrivateKey(dir["missing.key"])).Error);
    }

    [Fact]
    public void FingerprintIsSha256OfSpkiInUnpaddedBase64()
    {
        using var key = KeyFile.Generate(KeyAlgorithm.EcdsaP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        var expected = "SHA256:" + Convert.ToBase64String(SHA256.HashData(spki)).TrimEnd('=');
        Assert.Equal(expected, Fingerprint.Of(spki));
        Assert.True(AllowList.IsFingerprint(expected));
    }
}
