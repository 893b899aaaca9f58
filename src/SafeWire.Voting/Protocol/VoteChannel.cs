using System.Buffers;
using System.Buffers.Binary;

namespace SafeWire.Voting.Protocol;

/// <summary>
/// Frames voting messages over a stream (a SecureStream in production): <c>type (1) | length (3, big-endian) | payload</c>.
/// The length is checked against <see cref="MaxPayloadSize"/> before anything is allocated; one pooled receive
/// buffer per channel holds the current payload, valid until the next receive.
/// </summary>
public sealed class VoteChannel : IDisposable
{
    public const int MaxPayloadSize = 64 * 1024;
    private const int HeaderSize = 4;

    private readonly Stream _stream;
    private byte[]? _buffer;

    public VoteChannel(Stream stream)
    {
        _stream = stream;
    }

    public async ValueTask SendAsync(VoteMessageType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.Length > MaxPayloadSize)
        {
            throw new ArgumentException($"Payload of {payload.Length} bytes exceeds {MaxPayloadSize}.", nameof(payload));
        }

        var frame = ArrayPool<byte>.Shared.Rent(HeaderSize + payload.Length);
        try
        {
            frame[0] = (byte)type;
            frame[1] = (byte)(payload.Length >> 16);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)(payload.Length & 0xFFFF));
            payload.Span.CopyTo(frame.AsSpan(HeaderSize));
            await _stream.WriteAsync(frame.AsMemory(0, HeaderSize + payload.Length), cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame, clearArray: true);
        }
    }

    /// <summary>
    /// Reads one message. Returns null when the peer closed the stream cleanly between messages;
    /// a close inside a message or an oversized length is a <see cref="VoteProtocolException"/>.
    /// </summary>
    public async ValueTask<(VoteMessageType Type, ReadOnlyMemory<byte> Payload)?> ReceiveAsync(CancellationToken cancellationToken)
    {
        _buffer ??= ArrayPool<byte>.Shared.Rent(MaxPayloadSize);
        var header = _buffer.AsMemory(0, HeaderSize);
        var first = await _stream.ReadAsync(header, cancellationToken).ConfigureAwait(false);
        if (first == 0)
        {
            return null;
        }

        await ReadExactlyAsync(header[first..], cancellationToken).ConfigureAwait(false);
        var type = (VoteMessageType)_buffer[0];
        var length = (_buffer[1] << 16) | BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(2));
        if (length > MaxPayloadSize)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"message of {length} bytes exceeds the limit of {MaxPayloadSize}");
        }

        var payload = _buffer.AsMemory(0, length);
        await ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        return (type, payload);
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
            _buffer = null;
        }
    }

    private async ValueTask ReadExactlyAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, "the connection closed in the middle of a message");
        }
    }
}
