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
}

public sealed record VoterIdMessage(string VoterId)
{
    internal byte[] Encode() => new WireWriter().String(VoterId).ToArray();

    internal static VoterIdMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var id = reader.String(Identifiers.MaxLength);
        reader.End();
        return new VoterIdMessage(id);
    }
}

public sealed record ChallengeMessage(byte[] ExchangeId, byte[] Nonce, string Election, int Candidates, int MaxScore)
{
    internal byte[] Encode() => new WireWriter().Bytes(ExchangeId).Bytes(Nonce).String(Election).UInt16(Candidates).Byte((byte)MaxScore).ToArray();

    internal static ChallengeMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var message = new ChallengeMessage(
            reader.FixedBytes(BallotCrypto.ExchangeIdSize).ToArray(),
            reader.FixedBytes(BallotCrypto.NonceSize).ToArray(),
            reader.String(Identifiers.MaxLength),
            reader.UInt16(),
            reader.Byte());
        reader.End();
        return message;
    }
}

/// <summary>Step 3's message: what the server needs to open and check one ballot.</summary>
public sealed record SealedBallot(byte[] ExchangeId, byte[] WrappedKey, byte[] Iv, byte[] Ciphertext, byte[] Tag)
{
    internal const int MaxWrappedKeySize = 1024;

    internal byte[] Encode() => new WireWriter(1024).Bytes(ExchangeId).Bytes(WrappedKey).Bytes(Iv).Bytes(Ciphertext).Bytes(Tag).ToArray();

    internal static SealedBallot Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var message = new SealedBallot(
            reader.FixedBytes(BallotCrypto.ExchangeIdSize).ToArray(),
            reader.Bytes(MaxWrappedKeySize).ToArray(),
            reader.FixedBytes(BallotCrypto.IvSize).ToArray(),
            reader.Bytes(BallotCrypto.MaxPlaintextSize).ToArray(),
            reader.FixedBytes(BallotCrypto.TagSize).ToArray());
        reader.End();
        return message;
    }
}

public sealed record NoMessage(VoteRefusal Refusal, string Reason)
{
    internal byte[] Encode() => new WireWriter().Byte((byte)Refusal).String(Reason).ToArray();

    internal static NoMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var refusal = reader.Byte();
        var reason = reader.String(1024);
        reader.End();
        if (!Enum.IsDefined((VoteRefusal)refusal))
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"unknown refusal code {refusal}");
        }

        return new NoMessage((VoteRefusal)refusal, reason);
    }
}

/// <summary>Step 5's message: "yes" + receipt, AES-256-GCM under the exchange's session key.</summary>
public sealed record SealedYes(byte[] Iv, byte[] Ciphertext, byte[] Tag)
{
    internal byte[] Encode() => new WireWriter().Bytes(Iv).Bytes(Ciphertext).Bytes(Tag).ToArray();

    internal static SealedYes Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var message = new SealedYes(reader.FixedBytes(BallotCrypto.IvSize).ToArray(), reader.Bytes(1024).ToArray(), reader.FixedBytes(BallotCrypto.TagSize).ToArray());
        reader.End();
        return message;
    }
}

/// <summary>A board request; an empty election name means "the election this server serves".</summary>
public sealed record BoardRequestMessage(string Election)
{
    internal byte[] Encode() => new WireWriter().String(Election).ToArray();

    internal static BoardRequestMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var election = reader.String(Identifiers.MaxLength);
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
        var writer = new WireWriter(entries.Count * 200 + 2).UInt16(entries.Count);
        foreach (var entry in entries)
        {
            entry.Encode(writer);
        }

        return writer.ToArray();
    }

    public static List<BoardEntry> DecodeEntries(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var count = reader.UInt16();
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
    public static byte[] EncodeEnd(string election, long lastSequence) => new WireWriter().String(election).Int64(lastSequence).ToArray();

    public static (string Election, long LastSequence) DecodeEnd(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var election = reader.String(Identifiers.MaxLength);
        var last = reader.Int64();
        reader.End();
        return (election, last);
    }
}
