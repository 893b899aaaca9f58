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
    public const int HashSize = SHA256.HashSizeInBytes;
    public const int SignatureSize = 64;

    /// <summary>The bytes the receipt signature covers.</summary>
    public static byte[] SignedBytes(string election, long sequence, ReadOnlySpan<byte> ballotHash, ReadOnlySpan<byte> boardHead) =>
        new WireWriter().Raw("SafeWire vote receipt v1\0"u8).String(election).Int64(sequence).Bytes(ballotHash).Bytes(boardHead).ToArray();

    public static byte[] Sign(ECDsa receiptKey, string election, long sequence, ReadOnlySpan<byte> ballotHash, ReadOnlySpan<byte> boardHead) =>
        receiptKey.SignData(SignedBytes(election, sequence, ballotHash, boardHead), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public bool VerifySignature(ECDsa receiptKey) =>
        receiptKey.VerifyData(SignedBytes(Election, Sequence, BallotHash, BoardHead), Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    internal void Encode(WireWriter writer) =>
        writer.String(Election).Int64(Sequence).Bytes(BallotHash).Bytes(BoardHead).Bytes(Signature);

    internal static Receipt Decode(ref WireReader reader) => new(
        reader.String(Identifiers.MaxLength),
        reader.Int64(),
        reader.FixedBytes(HashSize).ToArray(),
        reader.FixedBytes(HashSize).ToArray(),
        reader.FixedBytes(SignatureSize).ToArray());
}
