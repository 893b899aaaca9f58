using SafeWire.Framing;
using System.Security.Cryptography;
using SafeWire.Voting.Protocol;

namespace SafeWire.Voting;

/// <summary>What a board entry records.</summary>
public enum BoardEntryKind : byte
{
    /// <summary>A voter's first counted ballot.</summary>
    Cast = 1,
    /// <summary>A revote: this ballot replaces the one at <see cref="BoardEntry.Replaces"/>, which no longer counts.</summary>
    Replace = 2,
}

/// <summary>
/// One line of the public bulletin board: append-only and hash-chained. EntryHash = SHA-256 over the
/// election, sequence, kind, replaced sequence, ballot hash, time and the previous entry's hash; the first
/// entry chains to a genesis hash of the election name. ReceiptSignature is the signature of that entry's receipt.
/// The board names no voter: it shows that ballots were counted, not who cast them or how.
/// </summary>
public sealed record BoardEntry(
    long Sequence,
    BoardEntryKind Kind,
    long Replaces,
    byte[] BallotHash,
    long RecordedAtMs,
    byte[] PreviousHash,
    byte[] EntryHash,
    byte[] ReceiptSignature)
{
    /// <summary>The hash the first entry of <paramref name="election"/>'s board chains to.</summary>
    public static byte[] GenesisHash(string election) =>
        SHA256.HashData(new FieldWriter().Fixed("SafeWire vote board genesis v1\0"u8).String16(election).Written);

    /// <summary>The entry hash over the given fields and the previous entry's hash (what <see cref="EntryHash"/> must equal).</summary>
    public static byte[] ComputeHash(string election, long sequence, BoardEntryKind kind, long replaces, ReadOnlySpan<byte> ballotHash, long recordedAtMs, ReadOnlySpan<byte> previousHash) =>
        SHA256.HashData(new FieldWriter()
            .Fixed("SafeWire vote board v1\0"u8).String16(election).I64(sequence).U8((byte)kind).I64(replaces)
            .Bytes16(ballotHash).I64(recordedAtMs).Bytes16(previousHash).Written);

    /// <summary>The receipt this entry stands for, as its voter received it (for checking a receipt against the board).</summary>
    public Receipt ToReceipt(string election) => new(election, Sequence, BallotHash, EntryHash, ReceiptSignature);

    internal void Encode(FieldWriter writer) =>
        writer.I64(Sequence).U8((byte)Kind).I64(Replaces).Bytes16(BallotHash).I64(RecordedAtMs)
            .Bytes16(PreviousHash).Bytes16(EntryHash).Bytes16(ReceiptSignature);

    internal static BoardEntry Decode(ref FieldReader reader)
    {
        var sequence = reader.I64();
        var kind = reader.U8();
        if (kind is not ((byte)BoardEntryKind.Cast or (byte)BoardEntryKind.Replace))
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"unknown board entry kind {kind}");
        }

        return new BoardEntry(sequence, (BoardEntryKind)kind, reader.I64(), reader.Bytes16Exactly(Receipt.HashSize).ToArray(), reader.I64(),
            reader.Bytes16Exactly(Receipt.HashSize).ToArray(), reader.Bytes16Exactly(Receipt.HashSize).ToArray(), reader.Bytes16Exactly(Receipt.SignatureSize).ToArray());
    }
}

/// <summary>How a receipt stands on a board.</summary>
public enum ReceiptStatus
{
    /// <summary>On the board, unchanged, and it counts.</summary>
    Counted,
    /// <summary>On the board, unchanged, but a later revote by the same voter replaced it.</summary>
    Replaced,
    /// <summary>The receipt's own signature does not verify: it was not issued by this election's server.</summary>
    BadSignature,
    /// <summary>The board has no entry with the receipt's sequence number.</summary>
    Missing,
    /// <summary>The board's entry at that sequence differs from the receipt (ballot hash or board head).</summary>
    Altered,
    /// <summary>The board itself is inconsistent (broken chain, bad hash or signature, gap).</summary>
    BoardBroken,
}

/// <summary>Checks of the public board: the whole chain, and a receipt's inclusion in it.</summary>
public static class BoardAudit
{
    /// <summary>
    /// Walks the chain from genesis; returns the problems found (empty: the board is consistent). Receipt
    /// signatures are checked when <paramref name="receiptKey"/> is given.
    /// </summary>
    public static IReadOnlyList<string> VerifyChain(string election, IReadOnlyList<BoardEntry> entries, ECDsa? receiptKey)
    {
        var problems = new List<string>();
        var previous = BoardEntry.GenesisHash(election);
        var replaced = new HashSet<long>();
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e.Sequence != i + 1)
            {
                problems.Add($"entry {i + 1}: sequence {e.Sequence} out of order (gap or reordering)");
            }

            if (!CryptographicOperations.FixedTimeEquals(e.PreviousHash, previous))
            {
                problems.Add($"entry {e.Sequence}: previous hash does not match entry {e.Sequence - 1}");
            }

            var expected = BoardEntry.ComputeHash(election, e.Sequence, e.Kind, e.Replaces, e.BallotHash, e.RecordedAtMs, e.PreviousHash);
            if (!CryptographicOperations.FixedTimeEquals(e.EntryHash, expected))
            {
                problems.Add($"entry {e.Sequence}: entry hash does not match its contents (modified entry)");
            }

            if (receiptKey is not null && !e.ToReceipt(election).VerifySignature(receiptKey))
            {
                problems.Add($"entry {e.Sequence}: receipt signature does not verify");
            }

            if (e.Kind == BoardEntryKind.Replace && (e.Replaces < 1 || e.Replaces >= e.Sequence || !replaced.Add(e.Replaces)))
            {
                problems.Add($"entry {e.Sequence}: replaces entry {e.Replaces}, which cannot be replaced");
            }

            previous = e.EntryHash;
        }

        return problems;
    }

    /// <summary>Where <paramref name="receipt"/> stands on <paramref name="entries"/> (the whole board, in order).</summary>
    public static (ReceiptStatus Status, string Detail) CheckReceipt(Receipt receipt, IReadOnlyList<BoardEntry> entries, ECDsa receiptKey)
    {
        if (!receipt.VerifySignature(receiptKey))
        {
            return (ReceiptStatus.BadSignature, "the receipt's signature does not verify with the election's receipt key");
        }

        var problems = VerifyChain(receipt.Election, entries, receiptKey);
        if (problems.Count != 0)
        {
            return (ReceiptStatus.BoardBroken, string.Join("; ", problems));
        }

        var entry = entries.FirstOrDefault(e => e.Sequence == receipt.Sequence);
        if (entry is null)
        {
            return (ReceiptStatus.Missing, $"the board has no entry {receipt.Sequence} (it has {entries.Count})");
        }

        if (!CryptographicOperations.FixedTimeEquals(entry.BallotHash, receipt.BallotHash)
            || !CryptographicOperations.FixedTimeEquals(entry.EntryHash, receipt.BoardHead))
        {
            return (ReceiptStatus.Altered, $"board entry {receipt.Sequence} differs from the receipt");
        }

        var replacement = entries.FirstOrDefault(e => e.Kind == BoardEntryKind.Replace && e.Replaces == receipt.Sequence);
        return replacement is null
            ? (ReceiptStatus.Counted, $"entry {receipt.Sequence} of {entries.Count}, chain intact")
            : (ReceiptStatus.Replaced, $"entry {receipt.Sequence} was replaced by a revote at entry {replacement.Sequence}");
    }
}
