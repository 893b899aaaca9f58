namespace SafeWire.Chat.Wire;

/// <summary>
/// The one-byte type of a chat frame. Frames are directional (C→S or S→C); the session table
/// (<see cref="Session.ChatSessionTable"/>) says in which state each may appear. docs/CHAT.md lists the fields.
/// </summary>
internal enum ChatFrameType : byte
{
    /// <summary>C→S: first frame after the handshake; the name the client would like to be shown as.</summary>
    Hello = 1,
    /// <summary>S→C: the client is in; its id, its final name, the server's name, and who else is here.</summary>
    Welcome = 2,
    /// <summary>S→C: the client is not let in (server full, hop proof wrong …); the connection then closes.</summary>
    Refused = 3,
    /// <summary>S→C: move to this port (port hopping); the client proves membership there with <see cref="HopProof"/>.</summary>
    HopOffer = 4,
    /// <summary>C→S, first frame on the hop port: the exporter value of the control session.</summary>
    HopProof = 5,
    /// <summary>C→S: a chat line for everybody.</summary>
    Chat = 10,
    /// <summary>S→C: the server received chat message N and relayed it to M clients.</summary>
    Ack = 11,
    /// <summary>S→C: another client's chat line.</summary>
    Relayed = 12,
    /// <summary>S→C: a line from the server's administrator.</summary>
    Broadcast = 13,
    /// <summary>C→S: ask who is connected.</summary>
    Who = 14,
    /// <summary>S→C: who is connected.</summary>
    WhoList = 15,
    /// <summary>S→C: somebody joined.</summary>
    MemberJoined = 16,
    /// <summary>S→C: somebody left (with why).</summary>
    MemberLeft = 17,
    /// <summary>S→C: a one-line note from the server (e.g. "no client named bob").</summary>
    Notice = 18,
    /// <summary>Both ways: opaque bytes of an end-to-end session between two clients; the server rewrites the peer id.</summary>
    DirectData = 20,
    /// <summary>Both ways: an end-to-end session between two clients is over (or could not be delivered).</summary>
    DirectClose = 21,
    /// <summary>S→C: the administrator removed this client, with a reason.</summary>
    Kicked = 30,
    /// <summary>S→C: the server is shutting down.</summary>
    ServerStopping = 31,
    /// <summary>C→S: the client is leaving.</summary>
    Bye = 32,
}
