using SafeWire.Framing;

namespace SafeWire.Chat.Wire;

/// <summary>A connected client as others see it.</summary>
/// <param name="Id">The server's number for this connection (shown by <c>list</c>, used by <c>kick</c>).</param>
/// <param name="Name">Display name.</param>
/// <param name="Fingerprint">SHA256 fingerprint of the client's key, or empty when the client presented none.</param>
public sealed record ChatMember(uint Id, string Name, string Fingerprint);

/// <summary>Why the server did not let a client in.</summary>
public enum RefusalReason : byte
{
    ServerFull = 1,
    NotAllowed = 2,
    HopProofInvalid = 3,
    ProtocolViolation = 4,
    ServerStopping = 5,
}

/// <summary>One decoded chat frame. Each subtype writes its own fields; <see cref="ChatFrameCodec"/> reads them.</summary>
public abstract record ChatMessage
{
    public abstract ChatFrameType Type { get; }

    internal abstract void Write(FieldWriter writer);

    internal static void WriteMember(FieldWriter writer, ChatMember member)
    {
        writer.U32(member.Id);
        writer.String16(member.Name, ChatLimits.MaxNameBytes);
        writer.String16(member.Fingerprint, ChatLimits.MaxNameBytes);
    }

    internal static void WriteMembers(FieldWriter writer, IReadOnlyList<ChatMember> members)
    {
        if (members.Count > ChatLimits.MaxListedMembers)
        {
            throw new ArgumentException($"At most {ChatLimits.MaxListedMembers} members fit in one frame.", nameof(members));
        }

        writer.U32((uint)members.Count);
        foreach (var member in members)
        {
            WriteMember(writer, member);
        }
    }
}

/// <param name="Name">The name the client asks for.</param>
/// <param name="SendOnly">The client only sends (scripts, <c>safewire send</c>): the server relays no chat and no joins/leaves to it.</param>
public sealed record HelloMessage(string Name, bool SendOnly = false) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Hello;

    internal override void Write(FieldWriter writer)
    {
        writer.String16(Name, ChatLimits.MaxNameBytes);
        writer.U8(SendOnly ? (byte)1 : (byte)0);
    }
}

/// <param name="Total">How many others are connected; <paramref name="Members"/> lists at most <see cref="ChatLimits.MaxListedMembers"/>.</param>
public sealed record WelcomeMessage(uint ClientId, string Name, string ServerName, uint Total, IReadOnlyList<ChatMember> Members) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Welcome;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(ClientId);
        writer.String16(Name, ChatLimits.MaxNameBytes);
        writer.String16(ServerName, ChatLimits.MaxNameBytes);
        writer.U32(Total);
        WriteMembers(writer, Members);
    }
}

public sealed record RefusedMessage(RefusalReason Reason, string Text) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Refused;

    internal override void Write(FieldWriter writer)
    {
        writer.U8((byte)Reason);
        writer.String16(Text, ChatLimits.MaxTextBytes);
    }
}

public sealed record HopOfferMessage(ushort Port) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.HopOffer;

    internal override void Write(FieldWriter writer) => writer.U16(Port);
}

public sealed record HopProofMessage(byte[] Proof) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.HopProof;

    internal override void Write(FieldWriter writer) => writer.Fixed(Proof);
}

public sealed record ChatTextMessage(uint MessageId, string Text) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Chat;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(MessageId);
        writer.String16(Text, ChatLimits.MaxTextBytes);
    }
}

public sealed record AckMessage(uint MessageId, uint DeliveredTo) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Ack;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(MessageId);
        writer.U32(DeliveredTo);
    }
}

public sealed record RelayedMessage(uint FromId, string FromName, DateTimeOffset SentAt, string Text) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Relayed;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(FromId);
        writer.String16(FromName, ChatLimits.MaxNameBytes);
        writer.I64(SentAt.ToUnixTimeMilliseconds());
        writer.String16(Text, ChatLimits.MaxTextBytes);
    }
}

public sealed record BroadcastMessage(DateTimeOffset SentAt, string Text) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Broadcast;

    internal override void Write(FieldWriter writer)
    {
        writer.I64(SentAt.ToUnixTimeMilliseconds());
        writer.String16(Text, ChatLimits.MaxTextBytes);
    }
}

public sealed record WhoMessage : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Who;

    internal override void Write(FieldWriter writer)
    {
    }
}

/// <param name="Total">How many are connected; <paramref name="Members"/> lists at most <see cref="ChatLimits.MaxListedMembers"/>.</param>
public sealed record WhoListMessage(uint Total, IReadOnlyList<ChatMember> Members) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.WhoList;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(Total);
        WriteMembers(writer, Members);
    }
}

public sealed record MemberJoinedMessage(ChatMember Member) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.MemberJoined;

    internal override void Write(FieldWriter writer) => WriteMember(writer, Member);
}

public sealed record MemberLeftMessage(ChatMember Member, string Reason) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.MemberLeft;

    internal override void Write(FieldWriter writer)
    {
        WriteMember(writer, Member);
        writer.String16(Reason, ChatLimits.MaxTextBytes);
    }
}

public sealed record NoticeMessage(string Text) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Notice;

    internal override void Write(FieldWriter writer) => writer.String16(Text, ChatLimits.MaxTextBytes);
}

/// <summary>
/// Opaque bytes of an end-to-end session. Client→server: <paramref name="PeerId"/> is the destination;
/// server→client: the server has rewritten it to the source. <paramref name="FromInitiator"/> tells the receiver
/// which of its two possible sessions with that peer (one it started, one the peer started) the bytes belong to.
/// </summary>
public sealed record DirectDataMessage(uint PeerId, uint ChannelId, bool FromInitiator, ReadOnlyMemory<byte> Data) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.DirectData;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(PeerId);
        writer.U32(ChannelId);
        writer.U8(FromInitiator ? (byte)1 : (byte)0);
        writer.Bytes32(Data.Span);
    }
}

public sealed record DirectCloseMessage(uint PeerId, uint ChannelId, bool FromInitiator, string Reason) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.DirectClose;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(PeerId);
        writer.U32(ChannelId);
        writer.U8(FromInitiator ? (byte)1 : (byte)0);
        writer.String16(Reason, ChatLimits.MaxTextBytes);
    }
}

public sealed record KickedMessage(string Reason) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Kicked;

    internal override void Write(FieldWriter writer) => writer.String16(Reason, ChatLimits.MaxTextBytes);
}

public sealed record ServerStoppingMessage(string Reason) : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.ServerStopping;

    internal override void Write(FieldWriter writer) => writer.String16(Reason, ChatLimits.MaxTextBytes);
}

public sealed record ByeMessage : ChatMessage
{
    public override ChatFrameType Type => ChatFrameType.Bye;

    internal override void Write(FieldWriter writer)
    {
    }
}
