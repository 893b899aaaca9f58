using SafeWire.Framing;
using System.Security.Cryptography;
using System.Text;

namespace SafeWire.KeyDistribution.Wire;

/// <summary>
/// The key material the key manager issues for one cbc/cfb transfer: a fresh AES-256 key, a base IV and a
/// separate HMAC-SHA256 key, bound to the transfer ID, the mode, both peers' fingerprints and an expiry.
/// Owns its buffers and zeroes them on Dispose.
/// </summary>
public sealed class TransferKeys : IDisposable
{
    /// <summary>Bytes of the AES-256 key.</summary>
    public const int AesKeySize = 32;

    /// <summary>Bytes of the base IV (each chunk derives its own from it).</summary>
    public const int IvSize = 16;

    /// <summary>Bytes of the HMAC-SHA256 key.</summary>
    public const int MacKeySize = 32;

    /// <summary>Bytes of an HMAC-SHA256 value (chunk, file and key-confirmation MACs).</summary>
    public const int MacSize = 32;

    private static readonly byte[] s_confirmLabel = Encoding.ASCII.GetBytes("SafeWire kd v1 key confirmation");

    private readonly byte[] _aesKey;
    private readonly byte[] _iv;
    private readonly byte[] _macKey;

    private TransferKeys(TransferId transferId, TransferMode mode, string senderFingerprint, string receiverFingerprint, DateTimeOffset expiresAt, byte[] aesKey, byte[] iv, byte[] macKey)
    {
        TransferId = transferId;
        Mode = mode;
        SenderFingerprint = senderFingerprint;
        ReceiverFingerprint = receiverFingerprint;
        ExpiresAt = expiresAt;
        _aesKey = aesKey;
        _iv = iv;
        _macKey = macKey;
    }

    /// <summary>The transfer these keys belong to (they are valid for no other).</summary>
    public TransferId TransferId { get; }

    /// <summary>The block mode the keys are for.</summary>
    public TransferMode Mode { get; }

    /// <summary>The sender's key fingerprint, bound into the keys.</summary>
    public string SenderFingerprint { get; }

    /// <summary>The receiver's key fingerprint, bound into the keys.</summary>
    public string ReceiverFingerprint { get; }

    /// <summary>After this the key manager refuses to hand the keys out or confirm them.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The AES-256 key (zeroed when the keys are disposed).</summary>
    public ReadOnlySpan<byte> AesKey => _aesKey;

    /// <summary>The base IV each chunk's IV is derived from (zeroed on dispose).</summary>
    public ReadOnlySpan<byte> BaseIv => _iv;

    /// <summary>The HMAC-SHA256 key for chunk, file and confirmation MACs (zeroed on dispose).</summary>
    public ReadOnlySpan<byte> MacKey => _macKey;

    /// <summary>Fresh random keys from the system CSPRNG.</summary>
    internal static TransferKeys Generate(TransferId transferId, TransferMode mode, string senderFingerprint, string receiverFingerprint, DateTimeOffset expiresAt)
    {
        if (mode == TransferMode.E2e)
        {
            throw new ArgumentException("End-to-end transfers have no key-manager keys.", nameof(mode));
        }

        return new TransferKeys(transferId, mode, senderFingerprint, receiverFingerprint, expiresAt,
            RandomNumberGenerator.GetBytes(AesKeySize), RandomNumberGenerator.GetBytes(IvSize), RandomNumberGenerator.GetBytes(MacKeySize));
    }

    /// <summary>KeyGrant body: transfer ID, mode, key, IV, MAC key, sender and receiver fingerprints, expiry.</summary>
    internal void Write(FieldWriter w)
    {
        TransferId.Write(w);
        w.U8((byte)Mode).Bytes16(_aesKey).Bytes16(_iv).Bytes16(_macKey).String16(SenderFingerprint).String16(ReceiverFingerprint).I64(ExpiresAt.ToUnixTimeMilliseconds());
    }

    internal static TransferKeys Read(KdFrame frame)
    {
        var r = frame.Reader();
        var id = TransferId.Read(ref r);
        var mode = PairedMessage.ReadMode(ref r);
        // Every field is checked before the key bytes are copied out of the frame, so a refused frame leaves no copy.
        var aesKey = r.Bytes16Exactly(AesKeySize);
        var iv = r.Bytes16Exactly(IvSize);
        var macKey = r.Bytes16Exactly(MacKeySize);
        var sender = r.String16();
        var receiver = r.String16();
        var expires = r.UnixMilliseconds();
        var keys = new TransferKeys(id, mode, sender, receiver, expires, aesKey.ToArray(), iv.ToArray(), macKey.ToArray());
        try
        {
            r.End();
        }
        catch
        {
            keys.Dispose();
            throw;
        }

        return keys;
    }

    /// <summary>
    /// Key confirmation (the original design's "confirm with an encrypted message", made a MAC): HMAC-SHA256 under a
    /// key derived by HKDF from all three secrets, over the role, transfer ID, mode and both fingerprints.
    /// Only a holder of the same key, IV and MAC key for the same pair can produce it.
    /// </summary>
    public void ConfirmationMac(TransferRole role, Span<byte> destination)
    {
        Span<byte> ikm = stackalloc byte[AesKeySize + IvSize + MacKeySize];
        Span<byte> confirmKey = stackalloc byte[32];
        Span<byte> salt = stackalloc byte[TransferId.Size];
        try
        {
            _aesKey.CopyTo(ikm);
            _iv.CopyTo(ikm[AesKeySize..]);
            _macKey.CopyTo(ikm[(AesKeySize + IvSize)..]);
            TransferId.WriteTo(salt);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, confirmKey, salt, s_confirmLabel);
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, confirmKey);
            hmac.AppendData(s_confirmLabel);
            hmac.AppendData([(byte)role, (byte)Mode]);
            hmac.AppendData(salt);
            hmac.AppendData(Encoding.UTF8.GetBytes(SenderFingerprint + "\n" + ReceiverFingerprint));
            hmac.GetHashAndReset(destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikm);
            CryptographicOperations.ZeroMemory(confirmKey);
        }
    }

    /// <summary>Checks a confirmation MAC in constant time.</summary>
    public bool VerifyConfirmation(TransferRole role, ReadOnlySpan<byte> mac)
    {
        Span<byte> expected = stackalloc byte[MacSize];
        ConfirmationMac(role, expected);
        return mac.Length == MacSize && CryptographicOperations.FixedTimeEquals(expected, mac);
    }

    /// <summary>Zeroes the key material.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_aesKey);
        CryptographicOperations.ZeroMemory(_iv);
        CryptographicOperations.ZeroMemory(_macKey);
    }
}
