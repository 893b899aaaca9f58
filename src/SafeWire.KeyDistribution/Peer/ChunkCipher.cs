using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Peer;

/// <summary>
/// Encrypt-then-MAC for file chunks in the seed's block modes. Each chunk (at most <see cref="ChunkSize"/>
/// plaintext bytes) is its own AES-256-CBC or AES-256-CFB128 message with PKCS#7 padding.
/// <para>
/// Per-chunk IVs never repeat under one key: IV = AES-ECB_K(baseIV XOR counter), counter = fileIndex (u32) ||
/// chunkIndex (u64) || 0x00000001, all big-endian. Distinct counters give distinct cipher inputs, and AES is a
/// permutation, so the IVs are distinct and, without the key, unpredictable (NIST SP 800-38A, appendix C).
/// </para>
/// <para>
/// Chunk MAC = HMAC-SHA256(macKey, "SafeWire kd v1 chunk" || transferId || fileIndex || chunkIndex || final ||
/// length || ciphertext). File MAC = HMAC-SHA256(macKey, "SafeWire kd v1 file" || transferId || fileIndex ||
/// name || plaintext length || chunk count || every chunk MAC in order): it binds the whole stream, so a
/// dropped, repeated or reordered chunk, or a cut-off file, fails. Receivers verify before they decrypt.
/// </para>
/// </summary>
internal sealed class ChunkCipher : IDisposable
{
    public const int ChunkSize = 64 * 1024;
    public const int BlockSize = 16;

    /// <summary>The largest ciphertext of one chunk: a full chunk plus a whole block of PKCS#7 padding.</summary>
    public const int MaxCipherChunk = ChunkSize + BlockSize;

    private static readonly byte[] s_chunkLabel = Encoding.ASCII.GetBytes("SafeWire kd v1 chunk");
    private static readonly byte[] s_fileLabel = Encoding.ASCII.GetBytes("SafeWire kd v1 file");

    private readonly Aes _aes;
    private readonly TransferMode _mode;
    private readonly byte[] _baseIv;
    private readonly byte[] _transferId = new byte[TransferId.Size];
    private readonly IncrementalHash _chunkMac;
    private readonly IncrementalHash _fileMac;
    private readonly byte[] _header = new byte[4 + 8 + 1 + 4];

    public ChunkCipher(TransferKeys keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Mode is not (TransferMode.Cbc or TransferMode.Cfb))
        {
            throw new ArgumentException("Chunk encryption is for cbc and cfb transfers.", nameof(keys));
        }

        _mode = keys.Mode;
        _aes = Aes.Create();
        _aes.Key = keys.AesKey.ToArray();
        _baseIv = keys.BaseIv.ToArray();
        keys.TransferId.WriteTo(_transferId);
        _chunkMac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, keys.MacKey);
        _fileMac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, keys.MacKey);
    }

    /// <summary>Ciphertext length of a chunk with <paramref name="plainLength"/> bytes (PKCS#7 always pads).</summary>
    public static int CipherLength(int plainLength) => (plainLength / BlockSize + 1) * BlockSize;

    /// <summary>Total ciphertext bytes of a file, as the waiter is told before it accepts.</summary>
    public static long EncryptedFileLength(long plainLength)
    {
        var chunks = ChunkCount(plainLength);
        var last = (int)(plainLength - (chunks - 1) * ChunkSize);
        return (chunks - 1) * MaxCipherChunk + CipherLength(last);
    }

    /// <summary>Chunks in a file: at least one, so an empty file still carries a MAC'd chunk.</summary>
    public static long ChunkCount(long plainLength) => Math.Max(1, (plainLength + ChunkSize - 1) / ChunkSize);

    /// <summary>Starts the file MAC for file <paramref name="fileIndex"/>.</summary>
    public void BeginFile(uint fileIndex, string name, long plainLength, long chunkCount)
    {
        _fileMac.AppendData(s_fileLabel);
        _fileMac.AppendData(_transferId);
        Span<byte> numbers = stackalloc byte[4 + 8 + 8];
        BinaryPrimitives.WriteUInt32BigEndian(numbers, fileIndex);
        BinaryPrimitives.WriteInt64BigEndian(numbers[4..], plainLength);
        BinaryPrimitives.WriteInt64BigEndian(numbers[12..], chunkCount);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        Span<byte> nameLength = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(nameLength, nameBytes.Length);
        _fileMac.AppendData(nameLength);
        _fileMac.AppendData(nameBytes);
        _fileMac.AppendData(numbers);
    }

    /// <summary>Encrypts one chunk into <paramref name="ciphertext"/> and writes its MAC; returns the ciphertext length.</summary>
    public int EncryptChunk(uint fileIndex, ulong chunkIndex, bool final, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> mac)
    {
        Span<byte> iv = stackalloc byte[BlockSize];
        DeriveIv(fileIndex, chunkIndex, iv);
        var written = _mode == TransferMode.Cbc
            ? _aes.EncryptCbc(plaintext, iv, ciphertext, PaddingMode.PKCS7)
            : _aes.EncryptCfb(plaintext, iv, ciphertext, PaddingMode.PKCS7, feedbackSizeInBits: 128);
        ComputeChunkMac(fileIndex, chunkIndex, final, ciphertext[..written], mac);
        _fileMac.AppendData(mac);
        return written;
    }

    /// <summary>
    /// Verifies a chunk's MAC (constant time) and only then decrypts it. Returns the plaintext length, or -1
    /// when the MAC is wrong (nothing was decrypted). The chunk MAC joins the file MAC only when it verified.
    /// </summary>
    public int DecryptChunk(uint fileIndex, ulong chunkIndex, bool final, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> mac, Span<byte> plaintext)
    {
        Span<byte> expected = stackalloc byte[TransferKeys.MacSize];
        ComputeChunkMac(fileIndex, chunkIndex, final, ciphertext, expected);
        if (mac.Length != expected.Length || !CryptographicOperations.FixedTimeEquals(expected, mac))
        {
            return -1;
        }

        _fileMac.AppendData(mac);
        Span<byte> iv = stackalloc byte[BlockSize];
        DeriveIv(fileIndex, chunkIndex, iv);
        try
        {
            return _mode == TransferMode.Cbc
                ? _aes.DecryptCbc(ciphertext, iv, plaintext, PaddingMode.PKCS7)
                : _aes.DecryptCfb(ciphertext, iv, plaintext, PaddingMode.PKCS7, feedbackSizeInBits: 128);
        }
        catch (CryptographicException)
        {
            // Authentic ciphertext with bad padding means the sender is broken, not an attacker: same answer.
            return -1;
        }
    }

    /// <summary>Finishes the file MAC into <paramref name="destination"/> (and resets it for the next file).</summary>
    public void EndFile(Span<byte> destination) => _fileMac.GetHashAndReset(destination);

    /// <summary>Finishes the file MAC and compares it in constant time with <paramref name="received"/>.</summary>
    public bool VerifyFile(ReadOnlySpan<byte> received)
    {
        Span<byte> expected = stackalloc byte[TransferKeys.MacSize];
        EndFile(expected);
        return received.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, received);
    }

    public void Dispose()
    {
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_baseIv);
        _chunkMac.Dispose();
        _fileMac.Dispose();
    }

    internal void DeriveIv(uint fileIndex, ulong chunkIndex, Span<byte> iv)
    {
        Span<byte> counter = stackalloc byte[BlockSize];
        BinaryPrimitives.WriteUInt32BigEndian(counter, fileIndex);
        BinaryPrimitives.WriteUInt64BigEndian(counter[4..], chunkIndex);
        BinaryPrimitives.WriteUInt32BigEndian(counter[12..], 1);
        for (var i = 0; i < BlockSize; i++)
        {
            counter[i] ^= _baseIv[i];
        }

        _aes.EncryptEcb(counter, iv, PaddingMode.None);
    }

    private void ComputeChunkMac(uint fileIndex, ulong chunkIndex, bool final, ReadOnlySpan<byte> ciphertext, Span<byte> mac)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_header, fileIndex);
        BinaryPrimitives.WriteUInt64BigEndian(_header.AsSpan(4), chunkIndex);
        _header[12] = final ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32BigEndian(_header.AsSpan(13), ciphertext.Length);
        _chunkMac.AppendData(s_chunkLabel);
        _chunkMac.AppendData(_transferId);
        _chunkMac.AppendData(_header);
        _chunkMac.AppendData(ciphertext);
        _chunkMac.GetHashAndReset(mac);
    }
}
