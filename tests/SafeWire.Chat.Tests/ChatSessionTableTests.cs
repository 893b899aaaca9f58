using SafeWire.Chat.Session;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Tests;

public sealed class ChatSessionTableTests
{
    [Fact]
    public void PlainJoin_ChatAndBye_FollowTheTable()
    {
        var session = new ChatSession();
        session.Sending(ChatFrameType.Hello);
        Assert.Equal(ChatSessionState.AwaitingWelcome, session.State);
        session.Received(ChatFrameType.Welcome);
        session.Sending(ChatFrameType.Chat);
        session.Received(ChatFrameType.Ack);
        session.Received(ChatFrameType.Relayed);
        Assert.Equal(ChatSessionState.Ready, session.State);
        session.Sending(ChatFrameType.Bye);
        Assert.Equal(ChatSessionState.Closed, session.State);
    }

    [Fact]
    public void HopPath_ControlEndsHopped_NewConnectionStartsWithProof()
    {
        var control = new ChatSession();
        control.Sending(ChatFrameType.Hello);
        control.Received(ChatFrameType.HopOffer);
        Assert.Equal(ChatSessionState.Hopped, control.State);
        Assert.False(control.CanSend(ChatFrameType.Chat));

        var hop = new ChatSession(ChatSessionState.AwaitingHopProof);
        hop.Sending(ChatFrameType.HopProof);
        hop.Received(ChatFrameType.Welcome);
        Assert.Equal(ChatSessionState.Ready, hop.State);
    }

    [Fact]
    public void ChatBeforeHello_IsRejectedNamingWhatWasExpected()
    {
        var session = new ChatSession();
        var e = Assert.Throws<ChatProtocolException>(() => session.Received(ChatFrameType.Chat));
        Assert.Contains("expected Hello", e.Message, StringComparison.Ordinal);
        Assert.Contains("got Chat", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SendingOutOfOrder_IsALocalBug()
    {
        var session = new ChatSession(ChatSessionState.AwaitingWelcome);
        Assert.Throws<InvalidOperationException>(() => session.Sending(ChatFrameType.Chat));
    }

    [Fact]
    public void AfterKick_NothingMoreIsAllowed()
    {
        var session = new ChatSession(ChatSessionState.Ready);
        session.Received(ChatFrameType.Kicked);
        Assert.Empty(ChatSessionTable.Allowed(ChatSessionState.Closed));
        Assert.Throws<ChatProtocolException>(() => session.Received(ChatFrameType.Relayed));
    }
}
