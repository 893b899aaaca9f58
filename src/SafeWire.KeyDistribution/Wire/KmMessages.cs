using SafeWire.Framing;
namespace SafeWire.KeyDistribution.Wire;

/// <summary>A peer as the key manager lists it to senders.</summary>
public sealed record PeerEntry(uint Id, string Name, string Fingerprint);

/// <summary>Why the key manager refused a request.</summary>
public enum RefusalReason : byte
{
    /// <summary>The message is not allowed in the client's current state.</summary>
    WrongState = 1,
    /// <summary>No waiting peer has that id or name.</summary>
    NoSuchPeer = 2,
    /// <summary>The transfer ID is not known.</summary>
    UnknownTransfer = 3,
    /// <summary>The transfer was issued to another pair of peers.</summary>
    NotYourTransfer = 4,
    /// <summary>The transfer's keys have expired.</summary>
    Expired = 5,
    /// <summary>The transfer's keys were already fetched or the transfer is over.</summary>
    AlreadyUsed = 6,
    /// <summary>A peer's key-confirmation MAC did not match the issued keys.</summary>
    BadConfirmation = 7,
    /// <summary>The client asked to pair with itself.</summary>
    SelfPairing = 8,
}

/// <summary>How the key manager judged a finished transfer.</summary>
public enum VerdictKind : byte
{
    /// <summary>Both peers succeeded and their block counts match.</summary>
    Match = 1,
    /// <summary>Both peers finished but their block counts differ.</summary>
    Mismatch = 2,
    /// <summary>A peer reported a failure or left before reporting.</summary>
    Failed = 3,
}

/// <summary>
/// Paired: the key manager introduces the two peers of a new transfer. No key material travels here; in
/// cbc/cfb each peer fetches the keys with <see cref="KdMessageType.FetchKeys"/>, in e2e there are none.
/// </summary>
public sealed record PairedMessage(TransferId TransferId, TransferMode Mode, TransferRole Role, uint PeerId, string PeerName, string PeerFingerprint, DateTimeOffset ExpiresAt)
{
    internal void Write(FieldWriter w)
    {
        TransferId.Write(w);
        w.U8((byte)Mode).U8((byte)Role).U32(PeerId).String16(PeerName).String16(PeerFingerprint).I64(ExpiresAt.ToUnixTimeMilliseconds());
    }

    internal static PairedMessage Read(KdFrame frame)
    {
        var r = frame.Reader();
        var id = TransferId.Read(ref r);
        var mode = ReadMode(ref r);
        var role = ReadRole(ref r);
        var message = new PairedMessage(id, mode, role, r.U32(), r.String16(), r.String16(), r.UnixMilliseconds());
        r.End();
        return message;
    }

    internal static TransferMode ReadMode(ref FieldReader r)
    {
        var mode = (TransferMode)r.U8();
        return Enum.IsDefined(mode) ? mode : throw new KdException(KdError.Malformed, $"Unknown transfer mode {(byte)mode}.");
    }

    internal static TransferRole ReadRole(ref FieldReader r)
    {
        var role = (TransferRole)r.U8();
        return Enum.IsDefined(role) ? role : throw new KdException(KdError.Malformed, $"Unknown transfer role {(byte)role}.");
    }
}

/// <summary>A peer's report after the transfer: its outcome and how many blocks it encrypted or decrypted.</summary>
public sealed record ReportMessage(TransferId TransferId, bool Succeeded, ulong Blocks, ulong Bytes, uint Files, string Reason)
{
    internal void Write(FieldWriter w)
    {
        TransferId.Write(w);
        w.U8(Succeeded ? (byte)1 : (byte)0).U64(Blocks).U64(Bytes).U32(Files).String16(Reason);
    }

    internal static ReportMessage Read(KdFrame frame)
    {
        var r = frame.Reader();
        var message = new ReportMessage(TransferId.Read(ref r), r.U8() != 0, r.U64(), r.U64(), r.U32(), r.String16());
        r.End();
        return message;
    }
}

/// <summary>The key manager's verdict on a transfer, sent to both peers.</summary>
public sealed record VerdictMessage(TransferId TransferId, VerdictKind Kind, ulong SenderBlocks, ulong ReceiverBlocks, string Text)
{
    internal void Write(FieldWriter w)
    {
        TransferId.Write(w);
        w.U8((byte)Kind).U64(SenderBlocks).U64(ReceiverBlocks).String16(Text);
    }

    internal static VerdictMessage Read(KdFrame frame)
    {
        var r = frame.Reader();
        var id = TransferId.Read(ref r);
        var kind = (VerdictKind)r.U8();
        if (!Enum.IsDefined(kind))
        {
            throw new KdException(KdError.Malformed, $"Unknown verdict {(byte)kind}.");
        }

        var message = new VerdictMessage(id, kind, r.U64(), r.U64(), r.String16());
        r.End();
        return message;
    }
}
