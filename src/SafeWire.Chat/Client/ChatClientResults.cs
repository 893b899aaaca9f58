using SafeWire.Chat.Wire;
using SafeWire.Identity;

namespace SafeWire.Chat.Client;

/// <summary>How a client's session ended.</summary>
public enum ClientExitReason
{
    Quit,
    Kicked,
    ServerStopped,
    ConnectionLost,
}

public sealed record ClientExit(ClientExitReason Reason, string Message);

/// <summary>A direct message that arrived over its own end-to-end session; <paramref name="Verified"/> is who signed that handshake.</summary>
public sealed record DirectMessage(ChatMember From, PeerIdentity? Verified, string Text);

/// <summary>The server did not let the client in (server full, not allowed, hop proof refused …).</summary>
public sealed class ChatRefusedException(RefusalReason reason, string message) : IOException(message)
{
    public RefusalReason Reason { get; } = reason;
}
