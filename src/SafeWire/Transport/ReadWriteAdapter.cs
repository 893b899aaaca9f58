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
        stream is NetworkStream network ? SocketReadiness.WaitForDataAsync(network, cancellationToken) : stream.ReadAsync(Memory<byte>.Empty, cancellationToken);
}

internal readonly struct SyncReadWriteAdapter : IReadWriteAdapter
{
    public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) => new(stream.Read(buffer.Span));

    /// <summary>A blocked thread costs more than a buffer: sync reads rent at once.</summary>
    public static ValueTask<int> WaitForDataAsync(Stream stream, CancellationToken cancellationToken) => default;
}
