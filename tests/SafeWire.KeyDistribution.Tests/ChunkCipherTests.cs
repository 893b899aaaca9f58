using System.Security.Cryptography;
using SafeWire.KeyDistribution.Peer;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Tests;

public class ChunkCipherTests
{
    private static TransferKeys NewKeys(TransferMode mode) =>
        TransferKeys.Generate(TransferId.NewRandom(), mode, "SHA256:sender", "SHA256:receiver", DateTimeOffset.UtcNow.AddMinutes(1));

    [Theory]
    [InlineData(TransferMode.Cbc, 0)]
    [InlineData(TransferMode.Cbc, 1)]
    [InlineData(TransferMode.Cbc, 16)]
    [InlineData(TransferMode.Cbc, ChunkCipher.ChunkSize)]
    [InlineData(TransferMode.Cfb, 0)]
    [InlineData(TransferMode.Cfb, 33)]
    [InlineData(TransferMode.Cfb, ChunkCipher.ChunkSize)]
    public void Chunk_RoundTrips_AndCiphertextIsPadded(TransferMode mode, int length)
    {
        using var keys = NewKeys(mode);
        using var sender = new ChunkCipher(keys);
        using var receiver = new ChunkCipher(keys);
        var plain = RandomNumberGenerator.GetBytes(length);
        var cipher = new byte[ChunkCipher.MaxCipherChunk];
        var mac = new byte[32];
        var n = sender.EncryptChunk(0, 0, true, plain, cipher, mac);
        Assert.Equal(ChunkCipher.CipherLength(length), n);
        Assert.Equal(0, n % 16);

        var output = new byte[ChunkCipher.MaxCipherChunk];
        var m = receiver.DecryptChunk(0, 0, true, cipher.AsSpan(0, n), mac, output);
        Assert.Equal(plain, output.AsSpan(0, m).ToArray());
    }

    [Theory]
    [InlineData(TransferMode.Cbc)]
    [InlineData(TransferMode.Cfb)]
    public void FlippedCiphertextBit_FailsMac_NothingDecrypted(TransferMode mode)
    {
        using var keys = NewKeys(mode);
        using var sender = new ChunkCipher(keys);
        using var receiver = new ChunkCipher(keys);
        var cipher = new byte[ChunkCipher.MaxCipherChunk];
        var mac = new byte[32];
        var n = sender.EncryptChunk(0, 0, false, new byte[100], cipher, mac);
        cipher[5] ^= 0x01;
        var output = new byte[ChunkCipher.MaxCipherChunk];
        Assert.Equal(-1, receiver.DecryptChunk(0, 0, false, cipher.AsSpan(0, n), mac, output));
        Assert.All(output, b => Assert.Equal(0, b));
    }

    [Fact]
    public void MacBindsPosition_AndFinalFlag()
    {
        using var keys = NewKeys(TransferMode.Cbc);
        using var sender = new ChunkCipher(keys);
        using var receiver = new ChunkCipher(keys);
        var cipher = new byte[ChunkCipher.MaxCipherChunk];
        var mac = new byte[32];
        var n = sender.EncryptChunk(2, 7, false, new byte[64], cipher, mac);
        var output = new byte[ChunkCipher.MaxCipherChunk];
        Assert.Equal(-1, receiver.DecryptChunk(2, 8, false, cipher.AsSpan(0, n), mac, output));
        Assert.Equal(-1, receiver.DecryptChunk(3, 7, false, cipher.AsSpan(0, n), mac, output));
        Assert.Equal(-1, receiver.DecryptChunk(2, 7, true, cipher.AsSpan(0, n), mac, output));
        Assert.Equal(64, receiver.DecryptChunk(2, 7, false, cipher.AsSpan(0, n), mac, output));
    }

    [Fact]
    public void OtherKeys_FailMac()
    {
        using var keys = NewKeys(TransferMode.Cbc);
        using var other = NewKeys(TransferMode.Cbc);
        using var sender = new ChunkCipher(keys);
        using var receiver = new ChunkCipher(other);
        var cipher = new byte[ChunkCipher.MaxCipherChunk];
        var mac = new byte[32];
        var n = sender.EncryptChunk(0, 0, true, new byte[10], cipher, mac);
        Assert.Equal(-1, receiver.DecryptChunk(0, 0, true, cipher.AsSpan(0, n), mac, new byte[ChunkCipher.MaxCipherChunk]));
    }

    [Fact]
    public void DerivedIvs_AreDistinct_AcrossChunksAndFiles()
    {
        using var keys = NewKeys(TransferMode.Cbc);
        using var cipher = new ChunkCipher(keys);
        var seen = new HashSet<string>();
        var iv = new byte[16];
        for (uint file = 0; file < 4; file++)
        {
            for (ulong chunk = 0; chunk < 256; chunk++)
            {
                cipher.DeriveIv(file, chunk, iv);
                Assert.True(seen.Add(Convert.ToHexString(iv)), $"IV repeated at file {file} chunk {chunk}");
            }
        }

        // Same plaintext in two chunks encrypts differently (no IV reuse under the key).
        var a = new byte[ChunkCipher.MaxCipherChunk];
        var b = new byte[ChunkCipher.MaxCipherChunk];
        var mac = new byte[32];
        var n = cipher.EncryptChunk(0, 0, false, new byte[32], a, mac);
        cipher.EncryptChunk(0, 1, false, new byte[32], b, mac);
        Assert.False(a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n)));
    }

    [Fact]
    public void FileMac_DetectsDroppedChunk()
    {
        using var keys = NewKeys(TransferMode.Cfb);
        using var sender = new ChunkCipher(keys);
        using var receiver = new ChunkCipher(keys);
        var cipher = new byte[ChunkCipher.MaxCipherChunk];
        var mac = new byte[32];
        var fileMac = new byte[32];
        sender.BeginFile(0, "a.bin", 200, 2);
        receiver.BeginFile(0, "a.bin", 200, 2);
        sender.EncryptChunk(0, 0, false, new byte[100], cipher, mac);
        sender.EncryptChunk(0, 1, true, new byte[100], cipher, mac);
        sender.EndFile(fileMac);
        // The receiver saw only the last chunk.
        Assert.True(receiver.DecryptChunk(0, 1, true, cipher.AsSpan(0, 112), mac, new byte[ChunkCipher.MaxCipherChunk]) >= 0);
        Assert.False(receiver.VerifyFile(fileMac));
    }

    [Fact]
    public void EncryptedFileLength_MatchesChunkSums()
    {
        Assert.Equal(16, ChunkCipher.EncryptedFileLength(0));
        Assert.Equal(ChunkCipher.MaxCipherChunk, ChunkCipher.EncryptedFileLength(ChunkCipher.ChunkSize));
        Assert.Equal(ChunkCipher.MaxCipherChunk + 16, ChunkCipher.EncryptedFileLength(ChunkCipher.ChunkSize + 1));
        Assert.Equal(2, ChunkCipher.ChunkCount(ChunkCipher.ChunkSize + 1));
        Assert.Equal(1, ChunkCipher.ChunkCount(0));
    }
}
