using SafeWire.Chat.Channels;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Client;

/// <summary>How <see cref="ChatClient.ConnectAsync"/> connects: the handshake, the name to ask for, direct messages.</summary>
public sealed class ChatClientOptions
{
    /// <summary>Runs the handshake with the server (on the control port and again on a hop port).</summary>
    public required IChannelAuthenticator Authenticator { get; set; }

    /// <summary>The name to ask for; a server that knows the client's certificate or allow-list name uses that instead.</summary>
    public string Name { get; set; } = Environment.UserName;

    /// <summary>Only send (scripts): ask the server not to relay other clients' chat to this one.</summary>
    public bool SendOnly { get; set; }

    /// <summary>Time for the connection, handshake, any hop and the welcome together; past it, connecting throws <see cref="TimeoutException"/>. 15 s by default.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// End-to-end direct messages: the authenticator for a session with this peer (client role when we start it,
    /// server role when the peer does), holding our own credential and a verifier that accepts only that peer.
    /// Null: direct messages are not available.
    /// </summary>
    public Func<ChatMember, IChannelAuthenticator>? DirectAuthenticator { get; set; }

    /// <summary>End-to-end sessions other clients may have open to us at once.</summary>
    public int MaxInboundDirectSessions { get; set; } = 8;

    /// <summary>Sees every decrypted frame exchanged with the server.</summary>
    public SafeWire.Framing.FrameObserver? FrameObserver { get; set; }
}
