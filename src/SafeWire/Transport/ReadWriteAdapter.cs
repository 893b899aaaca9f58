using System.Net.Sockets;

namespace SafeWire.Transport;

/// <summary>
/// One code path for sync and async reads (as in SslStream's ReadWriteAdapter): the sync adapter completes
/// every call synchronously, so the async core runs without ever yielding.
/// </summary>
internal interface IReadWriteAdapter
{
    static abstract ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Waits until the stream has data (a zero-byte read; the result is meaningless), so no buffer is held while idle.</summary>
    static abstract ValueTask<int> WaitForDataAsync(Stream stream, CancellationToken cancellationToken);
}

internal readonly struct AsyncReadWriteAdapter : IReadWriteAdapter
{
    public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) => stream.ReadAsync(buffer, cancellationToken);

    public static ValueTask<int> WaitForDataAsync(Stream stream, CancellationToken cancellationToken) =>
        stream is NetworkStream network ? WaitForSocketDataAsync(network, cancellationToken) : stream.ReadAsync(Memory<byte>.Empty, cancellationToken);

    /// <summary>
    /// On Linux the socket engine completes a queued zero-byte read on any readiness event, also a stale one for
    /// bytes already read, so it can return while nothing is there; the caller would then rent its receive buffer
    /// for a read that lasts as long as the peer stays idle (seen on 70% of idle server connections that had read
    /// data before). So wait again until the socket really has data or has ended.
    /// </summary>
    private static async ValueTask<int> WaitForSocketDataAsync(NetworkStream network, CancellationToken cancellationToken)
    {
        do
        {
            await network.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        while (!network.Socket.Poll(0, SelectMode.SelectRead));

        return 0;
    }
}

internal readonly struct SyncReadWriteAdapter : IReadWriteAdapter
{
    public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) => new(stream.Read(buffer.Span));

    /// <summary>A blocked thread costs more than a buffer: sync reads rent at once.</summary>
    public static ValueTask<int> WaitForDataAsync(Stream stream, CancellationToken cancellationToken) => default;
}
