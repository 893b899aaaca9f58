using System.Net.Sockets;

namespace SafeWire.KeyDistribution;

/// <summary>
/// How a peer gets its authenticated channels: to the key manager (mutually authenticated, the peer's
/// client certificate against the home CA), and, in e2e mode, directly to the other peer (each side
/// authenticated by its own certificate and pinned to the fingerprint the key manager introduced).
/// </summary>
public interface IKdChannels
{
    /// <summary>Connects to the key manager and authenticates both ends.</summary>
    Task<AuthenticatedChannel> ConnectKeyManagerAsync(string host, int port, CancellationToken cancellationToken);

    /// <summary>e2e sender: runs the client side of a SafeWire handshake with the waiter, whose key must have <paramref name="expectedFingerprint"/>.</summary>
    Task<AuthenticatedChannel> SecurePeerAsClientAsync(Socket socket, string expectedFingerprint, CancellationToken cancellationToken);

    /// <summary>e2e waiter: runs the server side of a SafeWire handshake with the sender, whose key must have <paramref name="expectedFingerprint"/>.</summary>
    Task<AuthenticatedChannel> SecurePeerAsServerAsync(Socket socket, string expectedFingerprint, CancellationToken cancellationToken);
}
