using SafeWire.Identity;

namespace SafeWire.Chat.Channels;

/// <summary>
/// An authenticated, encrypted connection as the chat app needs it: a stream, who is on the other end,
/// the suite, and the session's exporter (port hopping and end-to-end sessions bind to it).
/// </summary>
public interface IChatChannel : IAsyncDisposable
{
    Stream Stream { get; }

    /// <summary>The peer as the trust policy accepted it; null when the peer presented no credential (a client the server did not ask for one).</summary>
    PeerIdentity? RemoteIdentity { get; }

    string CipherSuite { get; }

    /// <summary>Exporter value for <paramref name="label"/> and <paramref name="context"/> (same on both ends of one session only).</summary>
    void ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, Span<byte> destination);
}

/// <summary>Runs the handshake on a fresh transport stream, as server or as client. Failures throw (trust failures carry the reason).</summary>
public interface IChannelAuthenticator
{
    Task<IChatChannel> AuthenticateAsServerAsync(Stream transport, CancellationToken cancellationToken);

    Task<IChatChannel> AuthenticateAsClientAsync(Stream transport, string serverName, CancellationToken cancellationToken);
}
