using System.Buffers.Binary;
using System.Security.Cryptography;
using SafeWire.Protocol.KeySchedule;

namespace SafeWire.Protocol.Records;

/// <summary>
/// One direction's record keys and its strict sequence number. Seals and opens whole records in place
/// (header | body) with the 21-byte header as associated data; the sequence number is never sent, so any
/// replayed, reordered or dropped record fails authentication. Subclasses are the suites.
/// </summary>
internal abstract class RecordProtection : IDisposable
{
    protected const int NonceLength = 12;
    protected const int H = ProtocolConstants.RecordHeaderLength;

    private readonly byte[] _iv = new byte[NonceLength];

    protected RecordProtection(TrafficSecret secret, long keyUpdateAfterRecords)
    {
        secret.DeriveKey("iv", _iv);
        IsApplication = secret is ApplicationTrafficSecret;
        KeyUpdateAfterRecords = keyUpdateAfterRecords;
    }

    /// <summary>True for application traffic keys; handshake keys never carry application data.</summary>
    public bool IsApplication { get; }

    /// <summary>Records sealed or opened with this key so far (the next record's sequence number).</summary>
    public ulong Sequence { get; private set; }

    public long KeyUpdateAfterRecords { get; }

    /// <summary>The soft limit: the sender must update its key before sealing another record.</summary>
    public bool NeedsKeyUpdate => Sequence >= (ulong)KeyUpdateAfterRecords;

    /// <summary>Where the inner plaintext starts, counted from the start of the body.</summary>
    public abstract int PlaintextOffset { get; }

    /// <summary>The largest record (header + body) that sealing <paramref name="innerLength"/> bytes produces.</summary>
    public abstract int SealedLength(int innerLength);

    public static RecordProtection Create(CipherSuite suite, TrafficSecret secret, long keyUpdateAfterRecords = ProtocolConstants.DefaultKeyUpdateRecords) => suite switch
    {
        CipherSuite.Aes256Gcm => new AeadRecordProtection(suite, secret, keyUpdateAfterRecords),
        CipherSuite.ChaCha20Poly1305 => new AeadRecordProtection(suite, secret, keyUpdateAfterRecords),
        CipherSuite.Aes256CbcHmacSha256 => new CbcHmacRecordProtection(secret, keyUpdateAfterRecords),
        _ => throw new ArgumentOutOfRangeException(nameof(suite)),
    };

    /// <summary>
    /// Seals a record in place: <paramref name="record"/> holds the header (type, version, session ID already
    /// written) and the inner plaintext at H + <see cref="PlaintextOffset"/>. Returns the record's total length.
    /// </summary>
    public int Seal(Span<byte> record, int innerLength)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        NextNonce(nonce);
        return SealCore(record, innerLength, nonce, Sequence - 1);
    }

    /// <summary>
    /// Opens a whole record in place. Returns false (never throws) when it does not authenticate; on success
    /// the inner plaintext is at H + <see cref="PlaintextOffset"/>, <paramref name="innerLength"/> bytes.
    /// </summary>
    public bool TryOpen(Span<byte> record, out int innerLength)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        NextNonce(nonce);
        return TryOpenCore(record, nonce, Sequence - 1, out innerLength);
    }

    public abstract void Dispose();

    protected abstract int SealCore(Span<byte> record, int innerLength, ReadOnlySpan<byte> nonce, ulong sequence);

    protected abstract bool TryOpenCore(Span<byte> record, ReadOnlySpan<byte> nonce, ulong sequence, out int innerLength);

    protected void ZeroIv() => CryptographicOperations.ZeroMemory(_iv);

    /// <summary>nonce = iv XOR (0^32 | uint64 sequence), then advance the sequence; it never wraps.</summary>
    private void NextNonce(Span<byte> nonce)
    {
        if (Sequence == ulong.MaxValue)
        {
            throw new ProtocolException(Alert.InternalError, "Record sequence number exhausted without a key update.");
        }

        _iv.CopyTo(nonce);
        Span<byte> seq = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(seq, Sequence);
        for (int i = 0; i < 8; i++)
        {
            nonce[NonceLength - 8 + i] ^= seq[i];
        }

        Sequence++;
    }
}

/// <summary>AES-256-GCM and ChaCha20-Poly1305: body = ciphertext | 16-byte tag; AAD = the header.</summary>
internal sealed class AeadRecordProtection : RecordProtection
{
    private const int TagLength = 16;
    private readonly AesGcm? _gcm;
    private readonly ChaCha20Poly1305? _chacha;

    public AeadRecordProtection(CipherSuite suite, TrafficSecret secret, long keyUpdateAfterRecords)
        : base(secret, keyUpdateAfterRecords)
    {
        Span<byte> key = stackalloc byte[32];
        try
        {
            secret.DeriveKey("key", key);
            if (suite == CipherSuite.Aes256Gcm)
            {
                _gcm = new AesGcm(key, TagLength);
            }
            else
            {
                _chacha = new ChaCha20Poly1305(key);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public override int PlaintextOffset => 0;

    public override int SealedLength(int innerLength) => H + innerLength + TagLength;

    public override void Dispose()
    {
        _gcm?.Dispose();
        _chacha?.Dispose();
        ZeroIv();
    }

    protected override int SealCore(Span<byte> record, int innerLength, ReadOnlySpan<byte> nonce, ulong sequence)
    {
        RecordHeader.SetLength(record, innerLength + TagLength);
        var header = record[..H];
        var text = record.Slice(H, innerLength);
        var tag = record.Slice(H + innerLength, TagLength);
        if (_gcm is not null)
        {
            _gcm.Encrypt(nonce, text, text, tag, header);
        }
        else
        {
            _chacha!.Encrypt(nonce, text, text, tag, header);
        }

        return H + innerLength + TagLength;
    }

    protected override bool TryOpenCore(Span<byte> record, ReadOnlySpan<byte> nonce, ulong sequence, out int innerLength)
    {
        innerLength = record.Length - H - TagLength;
        if (innerLength < 0)
        {
            innerLength = 0;
            return false;
        }

        var header = record[..H];
        var text = record.Slice(H, innerLength);
        var tag = record.Slice(H + innerLength, TagLength);
        try
        {
            if (_gcm is not null)
            {
                _gcm.Decrypt(nonce, text, tag, text, header);
            }
            else
            {
                _chacha!.Decrypt(nonce, text, tag, text, header);
            }

            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // The platform zeroes the output on failure: nothing half-decrypted is left behind.
            innerLength = 0;
            return false;
        }
    }
}

/// <summary>
/// AES-256-CBC + HMAC-SHA256, encrypt-then-MAC. body = IV (16) | AES-CBC(inner, PKCS#7) | MAC (32), where
/// IV = AES-ECB(key, nonce | 0^32) (a unique, unpredictable IV per SP 800-38A App. C) and
/// MAC = HMAC-SHA256(mac_key, uint64 sequence | header | IV | ciphertext), checked in constant time before decrypting.
/// </summary>
internal sealed class CbcHmacRecordProtection : RecordProtection
{
    private const int Block = 16;
    private const int MacLength = 32;
    private readonly Aes _aes;
    private readonly IncrementalHash _hmac;

    public CbcHmacRecordProtection(TrafficSecret secret, long keyUpdateAfterRecords)
        : base(secret, keyUpdateAfterRecords)
    {
        Span<byte> key = stackalloc byte[32];
        Span<byte> macKey = stackalloc byte[32];
        try
        {
            secret.DeriveKey("key", key);
            secret.DeriveKey("mac", macKey);
            _aes = Aes.Create();
            _aes.SetKey(key);
            _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(macKey);
        }
    }

    public override int PlaintextOffset => Block;

    public override int SealedLength(int innerLength) => H + Block + PaddedLength(innerLength) + MacLength;

    public override void Dispose()
    {
        _aes.Dispose();
        _hmac.Dispose();
        ZeroIv();
    }

    protected override int SealCore(Span<byte> record, int innerLength, ReadOnlySpan<byte> nonce, ulong sequence)
    {
        int padded = PaddedLength(innerLength);
        int bodyLength = Block + padded + MacLength;
        RecordHeader.SetLength(record, bodyLength);
        var iv = record.Slice(H, Block);
        DeriveIv(nonce, iv);
        var text = record.Slice(H + Block, padded);
        int written = _aes.EncryptCbc(text[..innerLength], iv, text, PaddingMode.PKCS7);
        System.Diagnostics.Debug.Assert(written == padded);
        Mac(sequence, record[..(H + Block + padded)], record.Slice(H + Block + padded, MacLength));
        return H + bodyLength;
    }

    protected override bool TryOpenCore(Span<byte> record, ReadOnlySpan<byte> nonce, ulong sequence, out int innerLength)
    {
        innerLength = 0;
        int bodyLength = record.Length - H;
        int cipherLength = bodyLength - Block - MacLength;
        if (cipherLength < Block || cipherLength % Block != 0)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[MacLength];
        Mac(sequence, record[..(H + Block + cipherLength)], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, record.Slice(H + Block + cipherLength, MacLength)))
        {
            return false;
        }

        var iv = record.Slice(H, Block);
        var text = record.Slice(H + Block, cipherLength);
        try
        {
            innerLength = _aes.DecryptCbc(text, iv, text, PaddingMode.PKCS7);
            return true;
        }
        catch (CryptographicException)
        {
            // Only reachable if an authenticated peer padded wrongly: the same uniform failure.
            CryptographicOperations.ZeroMemory(text);
            innerLength = 0;
            return false;
        }
    }

    private static int PaddedLength(int innerLength) => ((innerLength / Block) + 1) * Block;

    private void DeriveIv(ReadOnlySpan<byte> nonce, Span<byte> iv)
    {
        Span<byte> block = stackalloc byte[Block];
        block.Clear();
        nonce.CopyTo(block);
        _aes.EncryptEcb(block, iv, PaddingMode.None);
    }

    private void Mac(ulong sequence, ReadOnlySpan<byte> headerIvCiphertext, Span<byte> destination)
    {
        Span<byte> seq = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(seq, sequence);
        _hmac.AppendData(seq);
        _hmac.AppendData(headerIvCiphertext);
        _hmac.GetHashAndReset(destination);
    }
}
