using SafeWire.Framing;
using System.Security.Cryptography;
using SafeWire.Voting.Protocol;

namespace SafeWire.Voting;

/// <summary>
/// What the server gives a voter whose ballot is committed: the election, the ballot's board sequence
/// number, the ballot hash, the board head (the hash of the board entry that records it) and the server's
/// ECDSA P-256 signature (IEEE P1363) over those four.
/// </summary>
public sealed record Receipt(string Election, long Sequence, byte[] BallotHash, byte[] BoardHead, byte[] Signature)
{
    /// <summary>Bytes of <see cref="BallotHash"/> and <see cref="BoardHead"/> (SHA-256).</summary>
    public const int HashSize = SHA256.HashSizeInBytes;

    /// <summary>Bytes of <see cref="Signature"/> (ECDSA P-256, IEEE P1363).</summary>
    public const int SignatureSize = 64;

    /// <summary>The bytes the receipt signature covers.</summary>
    public static byte[] SignedBytes(string election, long sequence, ReadOnlySpan<byte> ballotHash, ReadOnlySpan<byte> boardHead) =>
        new FieldWriter().Fixed("SafeWire vote receipt v1\0"u8).String16(election).I64(sequence).Bytes16(ballotHash).Bytes16(boardHead).ToArray();

    /// <summary>Signs a receipt's fields with the election's receipt key: what a ballot store's receipt signer returns.</summary>
    public static byte[] Sign(ECDsa receiptKey, string election, long sequence, ReadOnlySpan<byte> ballotHash, ReadOnlySpan<byte> boardHead) =>
        receiptKey.SignData(SignedBytes(election, sequence, ballotHash, boardHead), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>True when <see cref="Signature"/> is the election's signature over this receipt's fields.</summary>
    public bool VerifySignature(ECDsa receiptKey) =>
        receiptKey.VerifyData(SignedBytes(Election, Sequence, BallotHash, BoardHead), Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    internal void Encode(FieldWriter writer) =>
        writer.String16(Election).I64(Sequence).Bytes16(BallotHash).Bytes16(BoardHead).Bytes16(Signature);

    internal static Receipt Decode(ref FieldReader reader) => new(
        reader.String16(Identifiers.MaxLength),
        reader.I64(),
        reader.Bytes16Exactly(HashSize).ToArray(),
        reader.Bytes16Exactly(HashSize).ToArray(),
        reader.Bytes16Exactly(SignatureSize).ToArray());
}
