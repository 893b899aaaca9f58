using SafeWire.Framing;

namespace SafeWire.Chat.Wire;

/// <summary>
/// Chat's message table over the shared framing (<see cref="FrameFormat.TypeThenLength32"/>:
/// <c>type (u8) | payload length (u32, big-endian) | payload</c>). Pure: bytes in, messages out.
/// </summary>
internal static class ChatFrameCodec
{
    public const int HeaderLength = 5;

    public static byte[] Encode(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new FieldWriter(FrameFormat.TypeThenLength32, (byte)message.Type);
        message.Write(writer);
        return writer.ToFrame(ChatLimits.MaxFramePayload);
    }

    /// <summary>Reads a header; throws before anything is allocated if the type is unknown or the length is over the limit.</summary>
    public static (ChatFrameType Type, int PayloadLength) ReadHeader(ReadOnlySpan<byte> header)
    {
        var (type, length) = FrameFormat.TypeThenLength32.ReadHeader(header, ChatLimits.MaxFramePayload, ChatWireErrors.Instance);
        return ((ChatFrameType)type, length);
    }

    public static ChatMessage Decode(ChatFrameType type, ReadOnlySpan<byte> payload)
    {
        var reader = new FieldReader(payload, ChatWireErrors.Instance, type.ToString(), (byte)type);
        ChatMessage message = type switch
        {
            ChatFrameType.Hello => new HelloMessage(reader.String16(ChatLimits.MaxNameBytes), ReadFlag(ref reader)),
            ChatFrameType.Welcome => new WelcomeMessage(reader.U32(), reader.String16(ChatLimits.MaxNameBytes), reader.String16(ChatLimits.MaxNameBytes), reader.U32(), ReadMembers(ref reader)),
            ChatFrameType.Refused => new RefusedMessage(ReadRefusal(ref reader), reader.String16(ChatLimits.MaxTextBytes)),
            ChatFrameType.HopOffer => new HopOfferMessage(reader.U16()),
            ChatFrameType.HopProof => new HopProofMessage(reader.Fixed(ChatLimits.HopProofLength).ToArray()),
            ChatFrameType.Chat => new ChatTextMessage(reader.U32(), reader.String16(ChatLimits.MaxTextBytes)),
            ChatFrameType.Ack => new AckMessage(reader.U32(), reader.U32()),
            ChatFrameType.Relayed => new RelayedMessage(reader.U32(), reader.String16(ChatLimits.MaxNameBytes), reader.UnixMilliseconds(), reader.String16(ChatLimits.MaxTextBytes)),
            ChatFrameType.Broadcast => new BroadcastMessage(reader.UnixMilliseconds(), reader.String16(ChatLimits.MaxTextBytes)),
            ChatFrameType.Who => new WhoMessage(),
            ChatFrameType.WhoList => new WhoListMessage(reader.U32(), ReadMembers(ref reader)),
            ChatFrameType.MemberJoined => new MemberJoinedMessage(ReadMember(ref reader)),
            ChatFrameType.MemberLeft => new MemberLeftMessage(ReadMember(ref reader), reader.String16(ChatLimits.MaxTextBytes)),
            ChatFrameType.Notice => new NoticeMessage(reader.String16(ChatLimits.MaxTextBytes)),
            ChatFrameType.DirectData => new DirectDataMessage(reader.U32(), reader.U32(), ReadFlag(ref reader), reader.Bytes32(ChatLimits.MaxDirectChunk).ToArray()),
            ChatFrameType.DirectClose => new DirectCloseMessage(reader.U32(), reader.U32(), ReadFlag(ref reader), reader.String16(ChatLimits.MaxTextBytes)),
            ChatFrameType.Kicked => new KickedMessage(reader.String16(ChatLimits.MaxTextBytes)),
            ChatFrameType.ServerStopping => new ServerStoppingMessage(reader.String16(ChatLimits.MaxTextBytes)),
            ChatFrameType.Bye => new ByeMessage(),
            _ => throw new ChatProtocolException($"Unknown chat frame type {(byte)type}."),
        };
        reader.End();
        return message;
    }

    private static ChatMember ReadMember(ref FieldReader reader) =>
        new(reader.U32(), reader.String16(ChatLimits.MaxNameBytes), reader.String16(ChatLimits.MaxNameBytes));

    private static List<ChatMember> ReadMembers(ref FieldReader reader)
    {
        var count = reader.U32();

        if (count > ChatLimits.MaxListedMembers)
        {
            throw new ChatProtocolException($"Member list of {count} entries is over the limit.");
        }

        var members = new List<ChatMember>((int)count);
        for (var i = 0; i < count; i++)
        {
            members.Add(ReadMember(ref reader));
        }

        return members;
    }

    private static RefusalReason ReadRefusal(ref FieldReader reader)
    {
        var value = (RefusalReason)reader.U8();
        return Enum.IsDefined(value) ? value : throw new ChatProtocolException($"Unknown refusal reason {(byte)value}.");
    }

    private static bool ReadFlag(ref FieldReader reader) => reader.U8() switch
    {
        0 => false,
        1 => true,
        var other => throw new ChatProtocolException($"Flag byte must be 0 or 1, got {other}."),
    };
}
