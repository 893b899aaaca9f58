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
    /// <summary>The server has as many clients as it allows; try again later.</summary>
    ServerFull = 1,
    /// <summary>The server's policy does not admit this client.</summary>
    NotAllowed = 2,
    /// <summary>The proof sent on the hop port did not match the control session.</summary>
    HopProofInvalid = 3,
    /// <summary>The client sent a frame the protocol does not allow at that point.</summary>
    ProtocolViolation = 4,
    /// <summary>The server is shutting down.</summary>
    ServerStopping = 5,
}

/// <summary>
/// A frame from the chat server, as <see cref="Client.ChatClient.MessageReceived"/> delivers it: a
/// <see cref="RelayedMessage"/>, <see cref="BroadcastMessage"/>, <see cref="MemberJoinedMessage"/>,
/// <see cref="MemberLeftMessage"/> or <see cref="NoticeMessage"/>. Match on the type.
/// </summary>
public abstract record ChatMessage
{
    internal abstract ChatFrameType Type { get; }

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
internal sealed record HelloMessage(string Name, bool SendOnly = false) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Hello;

    internal override void Write(FieldWriter writer)
    {
        writer.String16(Name, ChatLimits.MaxNameBytes);
        writer.U8(SendOnly ? (byte)1 : (byte)0);
    }
}

/// <param name="Total">How many others are connected; <paramref name="Members"/> lists at most <see cref="ChatLimits.MaxListedMembers"/>.</param>
internal sealed record WelcomeMessage(uint ClientId, string Name, string ServerName, uint Total, IReadOnlyList<ChatMember> Members) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Welcome;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(ClientId);
        writer.String16(Name, ChatLimits.MaxNameBytes);
        writer.String16(ServerName, ChatLimits.MaxNameBytes);
        writer.U32(Total);
        WriteMembers(writer, Members);
    }
}

internal sealed record RefusedMessage(RefusalReason Reason, string Text) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Refused;

    internal override void Write(FieldWriter writer)
    {
        writer.U8((byte)Reason);
        writer.String16(Text, ChatLimits.MaxTextBytes);
    }
}

internal sealed record HopOfferMessage(ushort Port) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.HopOffer;

    internal override void Write(FieldWriter writer) => writer.U16(Port);
}

internal sealed record HopProofMessage(byte[] Proof) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.HopProof;

    internal override void Write(FieldWriter writer) => writer.Fixed(Proof);
}

internal sealed record ChatTextMessage(uint MessageId, string Text) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Chat;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(MessageId);
        writer.String16(Text, ChatLimits.MaxTextBytes);
    }
}

/// <summary>The server's acknowledgement of one chat line: what <see cref="Client.ChatClient.SendAsync"/> returns.</summary>
/// <param name="MessageId">The client's number for the acknowledged line.</param>
/// <param name="DeliveredTo">How many other clients the server relayed it to.</param>
public sealed record AckMessage(uint MessageId, uint DeliveredTo) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Ack;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(MessageId);
        writer.U32(DeliveredTo);
    }
}

/// <summary>Another client's chat line, relayed by the server.</summary>
/// <param name="FromId">The sender's connection number.</param>
/// <param name="FromName">The sender's name as the server shows it.</param>
/// <param name="SentAt">When the server received it.</param>
/// <param name="Text">The line.</param>
public sealed record RelayedMessage(uint FromId, string FromName, DateTimeOffset SentAt, string Text) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Relayed;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(FromId);
        writer.String16(FromName, ChatLimits.MaxNameBytes);
        writer.I64(SentAt.ToUnixTimeMilliseconds());
        writer.String16(Text, ChatLimits.MaxTextBytes);
    }
}

/// <summary>A line from the server's administrator to everybody.</summary>
/// <param name="SentAt">When the administrator sent it.</param>
/// <param name="Text">The line.</param>
public sealed record BroadcastMessage(DateTimeOffset SentAt, string Text) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Broadcast;

    internal override void Write(FieldWriter writer)
    {
        writer.I64(SentAt.ToUnixTimeMilliseconds());
        writer.String16(Text, ChatLimits.MaxTextBytes);
    }
}

internal sealed record WhoMessage : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Who;

    internal override void Write(FieldWriter writer)
    {
    }
}

/// <param name="Total">How many are connected; <paramref name="Members"/> lists at most <see cref="ChatLimits.MaxListedMembers"/>.</param>
internal sealed record WhoListMessage(uint Total, IReadOnlyList<ChatMember> Members) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.WhoList;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(Total);
        WriteMembers(writer, Members);
    }
}

/// <summary>Somebody joined the conversation.</summary>
/// <param name="Member">Who joined.</param>
public sealed record MemberJoinedMessage(ChatMember Member) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.MemberJoined;

    internal override void Write(FieldWriter writer) => WriteMember(writer, Member);
}

/// <summary>Somebody left the conversation.</summary>
/// <param name="Member">Who left.</param>
/// <param name="Reason">Why, in a few words (quit, kicked, connection lost …).</param>
public sealed record MemberLeftMessage(ChatMember Member, string Reason) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.MemberLeft;

    internal override void Write(FieldWriter writer)
    {
        WriteMember(writer, Member);
        writer.String16(Reason, ChatLimits.MaxTextBytes);
    }
}

/// <summary>A one-line note from the server to this client only (e.g. "no client named bob").</summary>
/// <param name="Text">The note.</param>
public sealed record NoticeMessage(string Text) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Notice;

    internal override void Write(FieldWriter writer) => writer.String16(Text, ChatLimits.MaxTextBytes);
}

/// <summary>
/// Opaque bytes of an end-to-end session. Client→server: <paramref name="PeerId"/> is the destination;
/// server→client: the server has rewritten it to the source. <paramref name="FromInitiator"/> tells the receiver
/// which of its two possible sessions with that peer (one it started, one the peer started) the bytes belong to.
/// </summary>
internal sealed record DirectDataMessage(uint PeerId, uint ChannelId, bool FromInitiator, ReadOnlyMemory<byte> Data) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.DirectData;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(PeerId);
        writer.U32(ChannelId);
        writer.U8(FromInitiator ? (byte)1 : (byte)0);
        writer.Bytes32(Data.Span);
    }
}

internal sealed record DirectCloseMessage(uint PeerId, uint ChannelId, bool FromInitiator, string Reason) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.DirectClose;

    internal override void Write(FieldWriter writer)
    {
        writer.U32(PeerId);
        writer.U32(ChannelId);
        writer.U8(FromInitiator ? (byte)1 : (byte)0);
        writer.String16(Reason, ChatLimits.MaxTextBytes);
    }
}

internal sealed record KickedMessage(string Reason) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Kicked;

    internal override void Write(FieldWriter writer) => writer.String16(Reason, ChatLimits.MaxTextBytes);
}

internal sealed record ServerStoppingMessage(string Reason) : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.ServerStopping;

    internal override void Write(FieldWriter writer) => writer.String16(Reason, ChatLimits.MaxTextBytes);
}

internal sealed record ByeMessage : ChatMessage
{
    internal override ChatFrameType Type => ChatFrameType.Bye;

    internal override void Write(FieldWriter writer)
    {
    }
}
