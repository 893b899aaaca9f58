using System.Buffers;

namespace SafeWire.Chat.Wire;

/// <summary>Sees every frame a <see cref="ChatFramer"/> reads or writes (whole frame, header included).</summary>
public delegate void ChatFrameObserver(bool inbound, ReadOnlySpan<byte> frame);

/// <summary>
/// Reads and writes chat frames on a stream (in production, a SecureStream). Reads are one at a time;
/// writes are serialized by a lock so several tasks (relay, acks, admin) can send on one connection.
/// </summary>
public sealed class ChatFramer : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _header = new byte[ChatFrameCodec.HeaderLength];

    public ChatFramer(Stream stream, ChatFrameObserver? observer = null)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        Observer = observer;
    }

    public Stream Stream => _stream;

    public ChatFrameObserver? Observer { get; set; }

    /// <summary>The next message, or null when the peer closed the stream cleanly between frames.</summary>
    /// <remarks>
    /// One async method with its read loops inline: while a connection is idle this is what waits, and every nested
    /// async call would keep one more state machine alive per connection. The frame buffer is rented only once the
    /// header is in.
    /// </remarks>
    public async ValueTask<ChatMessage?> ReadAsync(CancellationToken cancellationToken)
    {
        var got = 0;
        while (got < _header.Length)
        {
            var read = await _stream.ReadAsync(_header.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return got == 0 ? null : throw new ChatProtocolException("The connection closed in the middle of a frame header.");
            }

            got += read;
        }

        var (type, length) = ChatFrameCodec.ReadHeader(_header);
        var frame = ArrayPool<byte>.Shared.Rent(ChatFrameCodec.HeaderLength + length);
        try
        {
            _header.CopyTo(frame, 0);
            for (got = 0; got < length;)
            {
                var read = await _stream.ReadAsync(frame.AsMemory(ChatFrameCodec.HeaderLength + got, length - got), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new ChatProtocolException($"The connection closed in the middle of a {type} frame.");
                }

                got += read;
            }

            Observer?.Invoke(true, frame.AsSpan(0, ChatFrameCodec.HeaderLength + length));
            return ChatFrameCodec.Decode(type, frame.AsSpan(ChatFrameCodec.HeaderLength, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame, clearArray: true);
        }
    }

    public ValueTask WriteAsync(ChatMessage message, CancellationToken cancellationToken) =>
        WriteFrameAsync(ChatFrameCodec.Encode(message), cancellationToken);

    /// <summary>Writes an already encoded frame (a relay encodes once for all recipients).</summary>
    public async ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Observer?.Invoke(false, frame.Span);
            await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }
}
