using SafeWire.Framing;

namespace SafeWire.Chat.Wire;

/// <summary>
/// Reads and writes chat messages on a stream (in production, a SecureStream) through the shared
/// <see cref="FrameConnection"/>: reads one at a time, writes serialized so several tasks (relay, acks, admin) can send
/// on one connection, the frame buffer rented only once a header is in.
/// </summary>
internal sealed class ChatFramer : IAsyncDisposable
{
    private static readonly FrameDecoder<ChatMessage> s_decode = static (type, payload) => ChatFrameCodec.Decode((ChatFrameType)type, payload);
    private readonly FrameConnection _frames;

    public ChatFramer(Stream stream, FrameObserver? observer = null)
    {
        _frames = new FrameConnection(stream, FrameFormat.TypeThenLength32, ChatLimits.MaxFramePayload, ChatWireErrors.Instance, observer);
    }

    public Stream Stream => _frames.Stream;

    public FrameObserver? Observer
    {
        get => _frames.Observer;
        set => _frames.Observer = value;
    }

    /// <summary>The next message, or null when the peer closed the stream cleanly between frames.</summary>
    public ValueTask<ChatMessage?> ReadAsync(CancellationToken cancellationToken) => _frames.ReadAsync(s_decode, cancellationToken);

    public ValueTask WriteAsync(ChatMessage message, CancellationToken cancellationToken) =>
        WriteFrameAsync(ChatFrameCodec.Encode(message), cancellationToken);

    /// <summary>Writes an already encoded frame (a relay encodes once for all recipients).</summary>
    public ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) => _frames.WriteFrameAsync(frame, cancellationToken);

    public ValueTask DisposeAsync() => _frames.DisposeAsync();
}
