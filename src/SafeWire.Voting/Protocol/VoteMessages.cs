using SafeWire.Framing;
namespace SafeWire.Voting.Protocol;

/// <summary>Message types of the voting exchange (one byte on the wire; never renumber).</summary>
public enum VoteMessageType : byte
{
    /// <summary>Client → server, step 1: the voter ID.</summary>
    VoterId = 1,
    /// <summary>Server → client, step 2: exchange ID, challenge nonce and the election's parameters.</summary>
    Challenge = 2,
    /// <summary>Client → server, step 3: the signed, encrypted ballot and the wrapped session key.</summary>
    SealedBallot = 3,
    /// <summary>Server → client: "no" with a reason; see <see cref="VoteRefusalExtensions.AllowsRetry"/>.</summary>
    No = 4,
    /// <summary>Server → client, step 5: "yes" and the receipt, encrypted under the session key.</summary>
    Yes = 5,
    /// <summary>Client → server, step 6: "ok"; the server erases the exchange's temporaries.</summary>
    Ok = 6,
    /// <summary>Client → server: send me the public board (instead of a voter ID).</summary>
    BoardRequest = 7,
    /// <summary>Server → client: a batch of board entries.</summary>
    BoardEntries = 8,
    /// <summary>Server → client: the board is complete (total entry count).</summary>
    BoardEnd = 9,
    /// <summary>Client → server: send me the election's public parameters and keys (a voter without a credential file, who joined with a code).</summary>
    ElectionInfoRequest = 10,
    /// <summary>Server → client: the election's name, candidates, maximum score, and its public election and receipt keys.</summary>
    ElectionInfo = 11,
}

internal sealed record VoterIdMessage(string VoterId)
{
    internal byte[] Encode() => new FieldWriter().String16(VoterId).ToArray();

    internal static VoterIdMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = VoteWire.Reader(payload);
        var id = reader.String16(Identifiers.MaxLength);
        reader.End();
        return new VoterIdMessage(id);
    }
}

internal sealed record ChallengeMessage(byte[] ExchangeId, byte[] Nonce, string Election, int Candidates, int MaxScore)
{
    internal byte[] Encode() => new FieldWriter().Bytes16(ExchangeId).Bytes16(Nonce).String16(Election).U16(checked((ushort)Candidates)).U8((byte)MaxScore).ToArray();

    internal static ChallengeMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = VoteWire.Reader(payload);
        var message = new ChallengeMessage(
            reader.Bytes16Exactly(BallotCrypto.ExchangeIdSize).ToArray(),
            reader.Bytes16Exactly(BallotCrypto.NonceSize).ToArray(),
            reader.String16(Identifiers.MaxLength),
            reader.U16(),
            reader.U8());
        reader.End();
        return message;
    }
}

/// <summary>Step 3's message: what the server needs to open and check one ballot.</summary>
internal sealed record SealedBallot(byte[] ExchangeId, byte[] WrappedKey, byte[] Iv, byte[] Ciphertext, byte[] Tag)
{
    internal const int MaxWrappedKeySize = 1024;

    internal byte[] Encode() => new FieldWriter(1024).Bytes16(ExchangeId).Bytes16(WrappedKey).Bytes16(Iv).Bytes16(Ciphertext).Bytes16(Tag).ToArray();

    internal static SealedBallot Decode(ReadOnlySpan<byte> payload)
    {
        var reader = VoteWire.Reader(payload);
        var message = new SealedBallot(
            reader.Bytes16Exactly(BallotCrypto.ExchangeIdSize).ToArray(),
            reader.Bytes16(MaxWrappedKeySize).ToArray(),
            reader.Bytes16Exactly(BallotCrypto.IvSize).ToArray(),
            reader.Bytes16(BallotCrypto.MaxPlaintextSize).ToArray(),
            reader.Bytes16Exactly(BallotCrypto.TagSize).ToArray());
        reader.End();
        return message;
    }
}

/// <summary>The server's "no" to a ballot: what <see cref="VoteClient"/>'s CastAsync passes to its ballot callback before asking for a corrected ballot.</summary>
/// <param name="Refusal">Why, as a code.</param>
/// <param name="Reason">Why, in one line for the voter.</param>
public sealed record NoMessage(VoteRefusal Refusal, string Reason)
{
    internal byte[] Encode() => new FieldWriter().U8((byte)Refusal).String16(Reason).ToArray();

    internal static NoMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = VoteWire.Reader(payload);
        var refusal = reader.U8();
        var reason = reader.String16(1024);
        reader.End();
        if (!Enum.IsDefined((VoteRefusal)refusal))
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"unknown refusal code {refusal}");
        }

        return new NoMessage((VoteRefusal)refusal, reason);
    }
}

/// <summary>Step 5's message: "yes" + receipt, AES-256-GCM under the exchange's session key.</summary>
internal sealed record SealedYes(byte[] Iv, byte[] Ciphertext, byte[] Tag)
{
    internal byte[] Encode() => new FieldWriter().Bytes16(Iv).Bytes16(Ciphertext).Bytes16(Tag).ToArray();

    internal static SealedYes Decode(ReadOnlySpan<byte> payload)
    {
        var reader = VoteWire.Reader(payload);
        var message = new SealedYes(reader.Bytes16Exactly(BallotCrypto.IvSize).ToArray(), reader.Bytes16(1024).ToArray(), reader.Bytes16Exactly(BallotCrypto.TagSize).ToArray());
        reader.End();
        return message;
    }
}

/// <summary>
/// The election's public side, for a voter who joined the server's CA with a code instead of holding a credential file:
/// it arrives over the channel whose server certificate the voter checked against that CA.
/// </summary>
/// <param name="Election">The election's name.</param>
/// <param name="Candidates">The number of candidates.</param>
/// <param name="MaxScore">The highest score.</param>
/// <param name="ElectionKey">SPKI (DER) of the RSA key that wraps ballot session keys.</param>
/// <param name="ReceiptKey">SPKI (DER) of the ECDSA key that signs receipts.</param>
public sealed record ElectionInfoMessage(string Election, int Candidates, int MaxScore, byte[] ElectionKey, byte[] ReceiptKey)
{
    internal const int MaxKeySize = 4096;

    internal byte[] Encode() => new FieldWriter(1024).String16(Election).U16(checked((ushort)Candidates)).U8((byte)MaxScore).Bytes16(ElectionKey).Bytes16(ReceiptKey).ToArray();

    internal static ElectionInfoMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = VoteWire.Reader(payload);
        var message = new ElectionInfoMessage(
            reader.String16(Identifiers.MaxLength),
            reader.U16(),
            reader.U8(),
            reader.Bytes16(MaxKeySize).ToArray(),
            reader.Bytes16(MaxKeySize).ToArray());
        reader.End();
        return message;
    }
}

/// <summary>A board request; an empty election name means "the election this server serves".</summary>
internal sealed record BoardRequestMessage(string Election)
{
    internal byte[] Encode() => new FieldWriter().String16(Election).ToArray();

    internal static BoardRequestMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = VoteWire.Reader(payload);
        var election = reader.String16(Identifiers.MaxLength);
        reader.End();
        return new BoardRequestMessage(election);
    }
}

internal static class BoardMessages
{
    /// <summary>Entries per BoardEntries message (each encodes to about 190 bytes; stays far below the frame limit).</summary>
    public const int BatchSize = 200;

    public static byte[] EncodeEntries(IReadOnlyList<BoardEntry> entries)
    {
        var writer = new FieldWriter(entries.Count * 200 + 2).U16(checked((ushort)entries.Count));
        foreach (var entry in entries)
        {
            entry.Encode(writer);
        }

        return writer.ToArray();
    }

    public static List<BoardEntry> DecodeEntries(ReadOnlySpan<byte> payload)
    {
        var reader = VoteWire.Reader(payload);
        var count = reader.U16();
        if (count > BatchSize)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"board batch of {count} entries exceeds {BatchSize}");
        }

        var entries = new List<BoardEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var entry = BoardEntry.Decode(ref reader);
            if (entry.RecordedAtMs is < 0 or > 253_402_300_799_999)
            {
                throw new VoteProtocolException(VoteRefusal.Malformed, $"board entry {entry.Sequence} has an impossible time {entry.RecordedAtMs}");
            }

            entries.Add(entry);
        }

        reader.End();
        return entries;
    }

    /// <summary>BoardEnd: the election whose board this was and its last sequence number.</summary>
    public static byte[] EncodeEnd(string election, long lastSequence) => new FieldWriter().String16(election).I64(lastSequence).ToArray();

    public static (string Election, long LastSequence) DecodeEnd(ReadOnlySpan<byte> payload)
    {
        var reader = VoteWire.Reader(payload);
        var election = reader.String16(Identifiers.MaxLength);
        var last = reader.I64();
        reader.End();
        return (election, last);
    }
}
