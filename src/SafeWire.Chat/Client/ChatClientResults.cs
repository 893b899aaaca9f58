using SafeWire.Chat.Wire;
using SafeWire.Identity;

namespace SafeWire.Chat.Client;

/// <summary>How a client's session ended.</summary>
public enum ClientExitReason
{
    /// <summary>This client said goodbye (<see cref="ChatClient.QuitAsync"/>).</summary>
    Quit,
    /// <summary>The server's administrator removed this client.</summary>
    Kicked,
    /// <summary>The server shut down.</summary>
    ServerStopped,
    /// <summary>The connection broke, or the server broke the protocol.</summary>
    ConnectionLost,
}

/// <summary>How and why <see cref="ChatClient.RunAsync"/> ended.</summary>
/// <param name="Reason">The kind of ending.</param>
/// <param name="Message">One line for the user, e.g. "kicked by the server administrator: spam".</param>
public sealed record ClientExit(ClientExitReason Reason, string Message);

/// <summary>A direct message that arrived over its own end-to-end session; <paramref name="Verified"/> is who signed that handshake.</summary>
/// <param name="From">The sender as the server lists it.</param>
/// <param name="Verified">The identity the sender proved in the end-to-end handshake (null when it presented none).</param>
/// <param name="Text">The message.</param>
public sealed record DirectMessage(ChatMember From, PeerIdentity? Verified, string Text);

/// <summary>The server did not let the client in (server full, not allowed, hop proof refused …).</summary>
public sealed class ChatRefusedException(RefusalReason reason, string message) : IOException(message)
{
    /// <summary>Why the server refused: the client may retry later after <see cref="RefusalReason.ServerFull"/>, not after <see cref="RefusalReason.NotAllowed"/>.</summary>
    public RefusalReason Reason { get; } = reason;
}
