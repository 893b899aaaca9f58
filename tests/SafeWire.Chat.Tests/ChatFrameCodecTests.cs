using System.Buffers.Binary;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Tests;

public sealed class ChatFrameCodecTests
{
    public static TheoryData<ChatMessage> Messages() =>
    [
        new HelloMessage("alice"),
        new HelloMessage("script", SendOnly: true),
        new RefusedMessage(RefusalReason.ServerFull, "server full"),
        new HopOfferMessage(20001),
        new ChatTextMessage(7, "hello, wörld"),
        new AckMessage(7, 2),
        new BroadcastMessage(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), "maintenance"),
        new WhoMessage(),
        new MemberJoinedMessage(new ChatMember(3, "bob", "SHA256:abc")),
        new MemberLeftMessage(new ChatMember(3, "bob", "SHA256:abc"), "kicked: spam"),
        new NoticeMessage("no such client"),
        new DirectCloseMessage(4, 9, true, "closed"),
        new KickedMessage("spam"),
        new ServerStoppingMessage("bye"),
        new ByeMessage(),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Encode_ThenDecode_GivesTheSameMessage(ChatMessage message)
    {
        var frame = ChatFrameCodec.Encode(message);
        var (type, length) = ChatFrameCodec.ReadHeader(frame);
        Assert.Equal(message.Type, type);
        Assert.Equal(frame.Length - ChatFrameCodec.HeaderLength, length);
        Assert.Equal(message, ChatFrameCodec.Decode(type, frame.AsSpan(ChatFrameCodec.HeaderLength)));
    }

    [Fact]
    public void MessagesWithListsAndBytes_RoundTrip()
    {
        var welcome = new WelcomeMessage(5, "carol", "srv", 2, [new ChatMember(1, "a", "SHA256:x"), new ChatMember(2, "b", "")]);
        var decoded = (WelcomeMessage)RoundTrip(welcome);
        Assert.Equal(welcome.Members, decoded.Members);
        Assert.Equal(2u, decoded.Total);
        Assert.Equal("carol", decoded.Name);

        var data = new DirectDataMessage(2, 1, false, new byte[] { 1, 2, 3 });
        var decodedData = (DirectDataMessage)RoundTrip(data);
        Assert.Equal(new byte[] { 1, 2, 3 }, decodedData.Data.ToArray());
        Assert.False(decodedData.FromInitiator);

        var proof = new HopProofMessage(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        Assert.Equal(proof.Proof, ((HopProofMessage)RoundTrip(proof)).Proof);
    }

    [Fact]
    public void TheLargestMemberList_FitsInOneFrame()
    {
        var longest = Enumerable.Range(0, ChatLimits.MaxListedMembers)
            .Select(i => new ChatMember(uint.MaxValue - (uint)i, new string('n', ChatLimits.MaxNameBytes), "SHA256:" + new string('f', 43)))
            .ToList();
        var who = new WhoListMessage(100_000, longest);
        Assert.Equal(longest, ((WhoListMessage)RoundTrip(who)).Members);
        Assert.Throws<ArgumentException>(() => ChatFrameCodec.Encode(new WhoListMessage(1000, [.. longest, longest[0]])));
    }

    [Fact]
    public void OversizedLength_IsRejectedFromTheHeaderAlone()
    {
        var header = new byte[ChatFrameCodec.HeaderLength];
        header[0] = (byte)ChatFrameType.Chat;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), ChatLimits.MaxFramePayload + 1);
        var e = Assert.Throws<ChatProtocolException>(() => ChatFrameCodec.ReadHeader(header));
        Assert.Contains("limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownType_IsRejected()
    {
        var e = Assert.Throws<ChatProtocolException>(() => ChatFrameCodec.ReadHeader(new byte[] { 0xEE, 0, 0, 0, 0 }));
        Assert.Contains("Unknown chat frame type 238", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrailingBytes_TruncatedFields_AndBadUtf8_AreRejected()
    {
        var frame = ChatFrameCodec.Encode(new AckMessage(1, 1));
        var payload = frame.AsSpan(ChatFrameCodec.HeaderLength).ToArray();
        Assert.Throws<ChatProtocolException>(() => ChatFrameCodec.Decode(ChatFrameType.Ack, [.. payload, 0]));
        Assert.Throws<ChatProtocolException>(() => ChatFrameCodec.Decode(ChatFrameType.Ack, payload.AsSpan(0, 5)));
        Assert.Throws<ChatProtocolException>(() => ChatFrameCodec.Decode(ChatFrameType.Notice, new byte[] { 0, 2, 0xC3, 0x28 }));
        Assert.Throws<ChatProtocolException>(() => ChatFrameCodec.Decode(ChatFrameType.DirectData, new byte[] { 0, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0, 0, 0 }));
    }

    [Fact]
    public void OverlongFields_AreRejected()
    {
        // A name field claiming 65 bytes (limit 64), and a member list claiming more entries than a frame can hold.
        var name = new byte[2 + 65];
        BinaryPrimitives.WriteUInt16BigEndian(name, 65);
        Assert.Throws<ChatProtocolException>(() => ChatFrameCodec.Decode(ChatFrameType.Hello, name));
        Assert.Throws<ChatProtocolException>(() => ChatFrameCodec.Decode(ChatFrameType.WhoList, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }));
        Assert.Throws<ArgumentException>(() => ChatFrameCodec.Encode(new ChatTextMessage(1, new string('x', ChatLimits.MaxTextBytes + 1))));
    }

    [Fact]
    public async Task Framer_ReadsFramesBackToBack_AndReportsEndOfStream()
    {
        var stream = new MemoryStream();
        var writer = new ChatFramer(stream);
        await writer.WriteAsync(new HelloMessage("a"), CancellationToken.None);
        await writer.WriteAsync(new ChatTextMessage(1, "x"), CancellationToken.None);
        stream.Position = 0;
        var reader = new ChatFramer(stream);
        Assert.Equal(new HelloMessage("a"), await reader.ReadAsync(CancellationToken.None));
        Assert.Equal(new ChatTextMessage(1, "x"), await reader.ReadAsync(CancellationToken.None));
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Framer_TruncatedFrame_IsAProtocolError()
    {
        var frame = ChatFrameCodec.Encode(new ChatTextMessage(1, "hello"));
        var reader = new ChatFramer(new MemoryStream(frame[..^2]));
        await Assert.ThrowsAsync<ChatProtocolException>(async () => await reader.ReadAsync(CancellationToken.None));
    }

    private static ChatMessage RoundTrip(ChatMessage message)
    {
        var frame = ChatFrameCodec.Encode(message);
        return ChatFrameCodec.Decode(message.Type, frame.AsSpan(ChatFrameCodec.HeaderLength));
    }
}
