using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Session;

/// <summary>Where one chat connection is in its life. Both ends track the same state.</summary>
internal enum ChatSessionState
{
    /// <summary>Handshake done on the control port; the client's Hello comes next.</summary>
    AwaitingHello,
    /// <summary>Hello sent; the server answers Welcome, Refused, or (port hopping) HopOffer.</summary>
    AwaitingWelcome,
    /// <summary>The control connection offered a hop port; nothing more happens on it.</summary>
    Hopped,
    /// <summary>A fresh connection on a hop port: the client's HopProof comes first.</summary>
    AwaitingHopProof,
    /// <summary>In the conversation.</summary>
    Ready,
    /// <summary>Over: refused, kicked, stopped, or the client said bye.</summary>
    Closed,
}

/// <summary>
/// The chat protocol as one table: which frame may follow which state, and
/// where it leads. It does not know which side it runs on: both ends apply every frame they send or receive.
/// <code>
///   AwaitingHello    --Hello------------&gt; AwaitingWelcome
///   AwaitingWelcome  --Welcome----------&gt; Ready
///   AwaitingWelcome  --HopOffer---------&gt; Hopped            (the conversation continues on the hop port)
///   AwaitingHopProof --HopProof---------&gt; AwaitingWelcome
///   AwaitingWelcome  --Refused----------&gt; Closed
///   Ready            --Chat, Ack, Relayed, Broadcast, Who, WhoList, MemberJoined,
///                      MemberLeft, Notice, DirectData, DirectClose--&gt; Ready
///   Ready            --Kicked, ServerStopping, Bye--&gt; Closed
///   AwaitingHello, AwaitingHopProof --ServerStopping--&gt; Closed
/// </code>
/// </summary>
internal static class ChatSessionTable
{
    private static readonly Dictionary<(ChatSessionState, ChatFrameType), ChatSessionState> s_transitions = Build();

    /// <summary>The state after <paramref name="frame"/>, or null when the frame is not allowed in <paramref name="state"/>.</summary>
    public static ChatSessionState? Next(ChatSessionState state, ChatFrameType frame) =>
        s_transitions.TryGetValue((state, frame), out var next) ? next : null;

    /// <summary>The frames allowed in <paramref name="state"/>, for "expected X, got Y" messages.</summary>
    public static IEnumerable<ChatFrameType> Allowed(ChatSessionState state) =>
        s_transitions.Keys.Where(k => k.Item1 == state).Select(k => k.Item2).Order();

    private static Dictionary<(ChatSessionState, ChatFrameType), ChatSessionState> Build()
    {
        var table = new Dictionary<(ChatSessionState, ChatFrameType), ChatSessionState>
        {
            [(ChatSessionState.AwaitingHello, ChatFrameType.Hello)] = ChatSessionState.AwaitingWelcome,
            [(ChatSessionState.AwaitingHello, ChatFrameType.Refused)] = ChatSessionState.Closed,
            [(ChatSessionState.AwaitingHello, ChatFrameType.ServerStopping)] = ChatSessionState.Closed,
            [(ChatSessionState.AwaitingWelcome, ChatFrameType.Welcome)] = ChatSessionState.Ready,
            [(ChatSessionState.AwaitingWelcome, ChatFrameType.HopOffer)] = ChatSessionState.Hopped,
            [(ChatSessionState.AwaitingWelcome, ChatFrameType.Refused)] = ChatSessionState.Closed,
            [(ChatSessionState.AwaitingWelcome, ChatFrameType.ServerStopping)] = ChatSessionState.Closed,
            [(ChatSessionState.AwaitingHopProof, ChatFrameType.HopProof)] = ChatSessionState.AwaitingWelcome,
            [(ChatSessionState.AwaitingHopProof, ChatFrameType.Refused)] = ChatSessionState.Closed,
            [(ChatSessionState.AwaitingHopProof, ChatFrameType.ServerStopping)] = ChatSessionState.Closed,
            [(ChatSessionState.Ready, ChatFrameType.Kicked)] = ChatSessionState.Closed,
            [(ChatSessionState.Ready, ChatFrameType.ServerStopping)] = ChatSessionState.Closed,
            [(ChatSessionState.Ready, ChatFrameType.Bye)] = ChatSessionState.Closed,
        };
        ChatFrameType[] conversation =
        [
            ChatFrameType.Chat, ChatFrameType.Ack, ChatFrameType.Relayed, ChatFrameType.Broadcast, ChatFrameType.Who,
            ChatFrameType.WhoList, ChatFrameType.MemberJoined, ChatFrameType.MemberLeft, ChatFrameType.Notice,
            ChatFrameType.DirectData, ChatFrameType.DirectClose,
        ];
        foreach (var frame in conversation)
        {
            table[(ChatSessionState.Ready, frame)] = ChatSessionState.Ready;
        }

        return table;
    }
}

/// <summary>One connection's position in <see cref="ChatSessionTable"/>; safe to use from the reading and the writing task.</summary>
internal sealed class ChatSession
{
    private readonly object _gate = new();

    public ChatSession(ChatSessionState initial = ChatSessionState.AwaitingHello)
    {
        State = initial;
    }

    public ChatSessionState State { get; private set; }

    /// <summary>A frame arrived from the peer. Not allowed here → <see cref="ChatProtocolException"/> naming what was expected.</summary>
    public void Received(ChatFrameType frame)
    {
        lock (_gate)
        {
            State = ChatSessionTable.Next(State, frame) ?? throw new ChatProtocolException(Unexpected(frame));
        }
    }

    /// <summary>This side is about to send a frame. Not allowed here is a local bug → <see cref="InvalidOperationException"/>.</summary>
    public void Sending(ChatFrameType frame)
    {
        lock (_gate)
        {
            State = ChatSessionTable.Next(State, frame) ?? throw new InvalidOperationException(Unexpected(frame));
        }
    }

    /// <summary>Whether <paramref name="frame"/> may be sent now (a stopping server skips clients that are not in the conversation).</summary>
    public bool CanSend(ChatFrameType frame)
    {
        lock (_gate)
        {
            return ChatSessionTable.Next(State, frame) is not null;
        }
    }

    /// <summary>The transport is gone.</summary>
    public void Close()
    {
        lock (_gate)
        {
            State = ChatSessionState.Closed;
        }
    }

    private string Unexpected(ChatFrameType frame) =>
        $"In state {State} expected {string.Join(" or ", ChatSessionTable.Allowed(State))}, got {frame}.";
}
