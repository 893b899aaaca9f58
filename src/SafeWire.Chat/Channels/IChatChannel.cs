using SafeWire.Identity;

namespace SafeWire.Chat.Channels;

/// <summary>
/// An authenticated, encrypted connection as the chat app needs it: a stream, who is on the other end,
/// the suite, and the session's exporter (port hopping and end-to-end sessions bind to it).
/// </summary>
public interface IChatChannel : IAsyncDisposable
{
    /// <summary>The decrypted stream: chat frames are written to and read from it; disposing the channel closes it.</summary>
    Stream Stream { get; }

    /// <summary>The peer as the trust policy accepted it; null when the peer presented no credential (a client the server did not ask for one).</summary>
    PeerIdentity? RemoteIdentity { get; }

    /// <summary>The cipher suite the handshake agreed on, by name (shown by the server's <c>list</c> and the client's banner).</summary>
    string CipherSuite { get; }

    /// <summary>Exporter value for <paramref name="label"/> and <paramref name="context"/> (same on both ends of one session only).</summary>
    void ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, Span<byte> destination);
}

/// <summary>Runs the handshake on a fresh transport stream, as server or as client. Failures throw (trust failures carry the reason).</summary>
public interface IChannelAuthenticator
{
    /// <summary>Runs the server side of the handshake on <paramref name="transport"/> (which the channel then owns) and returns the authenticated channel.</summary>
    Task<IChatChannel> AuthenticateAsServerAsync(Stream transport, CancellationToken cancellationToken);

    /// <summary>Runs the client side of the handshake on <paramref name="transport"/>, checking the server against <paramref name="serverName"/>, and returns the authenticated channel.</summary>
    Task<IChatChannel> AuthenticateAsClientAsync(Stream transport, string serverName, CancellationToken cancellationToken);
}
