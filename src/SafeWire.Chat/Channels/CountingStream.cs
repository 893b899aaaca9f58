using System.Net.Sockets;
using SafeWire.Transport;

namespace SafeWire.Chat.Channels;

/// <summary>Passes bytes through and counts them (the admin console's bytes in/out are bytes on the wire).</summary>
internal sealed class CountingStream(NetworkStream inner) : WrappingStream(inner), IStreamReadiness
{
    private readonly NetworkStream _socket = inner;
    private long _bytesIn;
    private long _bytesOut;

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>SecureStream's readiness hook: it waits for the socket without holding a buffer, and drains what has arrived.</summary>
    public bool DataAvailable => _socket.DataAvailable;

    public override int Read(byte[] buffer, int offset, int count) => Counted(_socket.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Counted(_socket.Read(buffer));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty
            ? SocketReadiness.WaitForDataAsync(_socket, cancellationToken)
            : CountedReadAsync(buffer, cancellationToken);

    public async ValueTask WaitForDataAsync(CancellationToken cancellationToken) =>
        await SocketReadiness.WaitForDataAsync(_socket, cancellationToken).ConfigureAwait(false);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _socket.Write(buffer);
        Interlocked.Add(ref _bytesOut, buffer.Length);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _socket.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _bytesOut, buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async ValueTask<int> CountedReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        Counted(await _socket.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    private int Counted(int read)
    {
        Interlocked.Add(ref _bytesIn, read);
        return read;
    }
}
