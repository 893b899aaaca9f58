using SafeWire.Framing;
using System.Buffers;
using System.Security.Cryptography;

namespace SafeWire.Voting.Protocol;

/// <summary>
/// The seed's hybrid scheme, made sound: the voter signs canonical bytes (election, voter ID, the exchange's
/// challenge nonce, ballot) with its registered ECDSA P-256 key; ballot and signature are encrypted with a
/// fresh AES-256-GCM session key (the exchange ID in the associated data); the session key is wrapped with
/// the election's RSA-3072 key using RSA-OAEP-SHA256. The server's "yes" comes back under the same session key.
/// </summary>
internal static class BallotCrypto
{
    public const int ExchangeIdSize = 16;
    public const int NonceSize = 32;
    public const int SessionKeySize = 32;
    public const int IvSize = 12;
    public const int TagSize = 16;
    public const int SignatureSize = 64;

    /// <summary>Largest ballot plaintext: the ballot (≤ MaxCandidates bytes) and the signature with their lengths.</summary>
    public const int MaxPlaintextSize = 2 + Ballot.MaxCandidates * 4 + 2 + SignatureSize;

    private static readonly RSAEncryptionPadding s_oaep = RSAEncryptionPadding.OaepSHA256;

    /// <summary>The bytes the voter signs.</summary>
    public static byte[] SignedBallotBytes(string election, string voterId, ReadOnlySpan<byte> nonce, string ballot) =>
        new FieldWriter().Fixed("SafeWire vote ballot v1\0"u8).String16(election).String16(voterId).Bytes16(nonce).String16(ballot).ToArray();

    /// <summary>The public ballot hash: over the signed bytes and the signature, so it cannot be matched to a ballot by guessing (the nonce is secret).</summary>
    public static byte[] BallotHash(ReadOnlySpan<byte> signedBytes, ReadOnlySpan<byte> signature) =>
        SHA256.HashData(new FieldWriter().Fixed("SafeWire vote ballot hash v1\0"u8).Bytes16(signedBytes).Bytes16(signature).Written);

    public static byte[] SignBallot(ECDsa voterKey, ReadOnlySpan<byte> signedBytes) =>
        voterKey.SignData(signedBytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public static bool VerifyBallot(ECDsa voterKey, ReadOnlySpan<byte> signedBytes, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureSize
        && voterKey.VerifyData(signedBytes, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    internal static byte[] BallotAssociatedData(string election, string voterId, ReadOnlySpan<byte> exchangeId) =>
        new FieldWriter().Fixed("SafeWire vote sealed ballot v1\0"u8).String16(election).String16(voterId).Bytes16(exchangeId).ToArray();

    internal static byte[] YesAssociatedData(ReadOnlySpan<byte> exchangeId) =>
        new FieldWriter().Fixed("SafeWire vote yes v1\0"u8).Bytes16(exchangeId).ToArray();

    /// <summary>
    /// Client side: signs and seals <paramref name="ballot"/>. <paramref name="sessionKey"/> receives the fresh
    /// session key (the caller keeps it to open the "yes" and zeroes it afterwards).
    /// </summary>
    public static SealedBallot Seal(ECDsa voterKey, RSA electionKey, string election, string voterId,
        ReadOnlySpan<byte> exchangeId, ReadOnlySpan<byte> nonce, string ballot, Span<byte> sessionKey, out byte[] ballotHash)
    {
        if (sessionKey.Length != SessionKeySize)
        {
            throw new ArgumentException($"The session key buffer must be {SessionKeySize} bytes.", nameof(sessionKey));
        }

        var signedBytes = SignedBallotBytes(election, voterId, nonce, ballot);
        var signature = SignBallot(voterKey, signedBytes);
        ballotHash = BallotHash(signedBytes, signature);
        var plaintext = new FieldWriter().String16(ballot).Bytes16(signature);
        var ciphertext = new byte[plaintext.Written.Length];
        var iv = RandomNumberGenerator.GetBytes(IvSize);
        var tag = new byte[TagSize];
        RandomNumberGenerator.Fill(sessionKey);
        try
        {
            using (var aes = new AesGcm(sessionKey, TagSize))
            {
                aes.Encrypt(iv, plaintext.Written, ciphertext, tag, BallotAssociatedData(election, voterId, exchangeId));
            }

            var wrapped = electionKey.Encrypt(sessionKey, s_oaep);
            return new SealedBallot(exchangeId.ToArray(), wrapped, iv, ciphertext, tag);
        }
        finally
        {
            plaintext.Clear();
        }
    }

    /// <summary>
    /// Server side: unwraps the session key into <paramref name="sessionKey"/> and decrypts. A bad wrapped key
    /// and a bad ciphertext fail the same way (false): when OAEP fails, decryption goes on with a random key, so
    /// neither the answer nor the work done tells which part was wrong (no padding oracle).
    /// </summary>
    public static bool TryOpen(RSA electionKey, SealedBallot sealedBallot, ReadOnlySpan<byte> associatedData, Span<byte> sessionKey,
        out string ballot, out byte[] signature)
    {
        ballot = string.Empty;
        signature = [];
        if (sessionKey.Length != SessionKeySize || sealedBallot.Ciphertext.Length > MaxPlaintextSize)
        {
            return false;
        }

        Span<byte> unwrapped = stackalloc byte[512];
        var plaintext = ArrayPool<byte>.Shared.Rent(MaxPlaintextSize);
        try
        {
            var keyOk = false;
            try
            {
                keyOk = sealedBallot.WrappedKey.Length == electionKey.KeySize / 8
                    && electionKey.TryDecrypt(sealedBallot.WrappedKey, unwrapped, s_oaep, out var written)
                    && written == SessionKeySize;
            }
            catch (CryptographicException)
            {
                keyOk = false;
            }

            if (keyOk)
            {
                unwrapped[..SessionKeySize].CopyTo(sessionKey);
            }
            else
            {
                RandomNumberGenerator.Fill(sessionKey);
            }

            var output = plaintext.AsSpan(0, sealedBallot.Ciphertext.Length);
            try
            {
                using var aes = new AesGcm(sessionKey, TagSize);
                aes.Decrypt(sealedBallot.Iv, sealedBallot.Ciphertext, sealedBallot.Tag, output, associatedData);
            }
            catch (AuthenticationTagMismatchException)
            {
                return false;
            }

            if (!keyOk)
            {
                return false;
            }

            var reader = VoteWire.Reader(output);
            ballot = reader.String16(Ballot.MaxCandidates * 4);
            signature = reader.Bytes16Exactly(SignatureSize).ToArray();
            reader.End();
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(unwrapped);
            CryptographicOperations.ZeroMemory(plaintext.AsSpan(0, MaxPlaintextSize));
            ArrayPool<byte>.Shared.Return(plaintext);
        }
    }

    /// <summary>Server side: the encrypted "yes" carrying the receipt, under the exchange's session key.</summary>
    public static SealedYes SealYes(ReadOnlySpan<byte> sessionKey, ReadOnlySpan<byte> exchangeId, Receipt receipt)
    {
        var plaintext = new FieldWriter().Fixed("yes"u8);
        receipt.Encode(plaintext);
        var iv = RandomNumberGenerator.GetBytes(IvSize);
        var ciphertext = new byte[plaintext.Written.Length];
        var tag = new byte[TagSize];
        using var aes = new AesGcm(sessionKey, TagSize);
        aes.Encrypt(iv, plaintext.Written, ciphertext, tag, YesAssociatedData(exchangeId));
        return new SealedYes(iv, ciphertext, tag);
    }

    /// <summary>Client side: opens the "yes"; null if it was not sealed with this exchange's session key.</summary>
    public static Receipt? TryOpenYes(ReadOnlySpan<byte> sessionKey, ReadOnlySpan<byte> exchangeId, SealedYes yes)
    {
        var plaintext = new byte[yes.Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(sessionKey, TagSize);
            aes.Decrypt(yes.Iv, yes.Ciphertext, yes.Tag, plaintext, YesAssociatedData(exchangeId));
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }

        var reader = VoteWire.Reader(plaintext);
        if (!reader.Fixed(3).SequenceEqual("yes"u8))
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, "the server's answer is not \"yes\"");
        }

        var receipt = Receipt.Decode(ref reader);
        reader.End();
        return receipt;
    }
}
