using System.Net;
using SafeWire.Identity;

namespace SafeWire.KeyDistribution;

/// <summary>
/// A connection whose far end has been authenticated (a SafeWire channel with a verified certificate or
/// pinned key): the stream to talk over and who is on the other side.
/// </summary>
/// <param name="Stream">The protected stream; disposing the channel disposes it.</param>
/// <param name="Remote">The verified identity of the other end.</param>
/// <param name="RemoteAddress">The other end's IP address as this side sees it (the key manager relays it to senders).</param>
/// <param name="LocalAddress">This side's IP address on the connection (the waiter listens on it).</param>
/// <param name="SessionCheck">Optional short code both ends derive from the channel's exporter (e2e), for comparing out of band.</param>
public sealed record AuthenticatedChannel(Stream Stream, PeerIdentity Remote, IPAddress? RemoteAddress, IPAddress? LocalAddress, string? SessionCheck = null) : IAsyncDisposable
{
    /// <summary>What else the channel holds (the listener's tracked connection); disposed after the stream.</summary>
    internal IAsyncDisposable? Owner { get; init; }

    /// <summary>Ends a SafeWire channel with close_notify (best effort), then disposes the stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Stream is Transport.SecureStream { IsAuthenticated: true } secure)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await secure.ShutdownAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // The other side is already gone.
            }
        }

        await Stream.DisposeAsync().ConfigureAwait(false);
        if (Owner is not null)
        {
            await Owner.DisposeAsync().ConfigureAwait(false);
        }
    }
}
