using SafeWire.Framing;

namespace SafeWire.Voting.Protocol;

/// <summary>
/// Frames voting messages over a stream (a SecureStream in production) through the shared <see cref="FrameConnection"/>:
/// <c>type (1) | length (3, big-endian) | payload</c>. The length is checked against <see cref="MaxPayloadSize"/> before
/// anything is allocated; one pooled receive buffer per channel holds the current payload, valid until the next receive.
/// </summary>
internal sealed class VoteChannel : IDisposable
{
    public const int MaxPayloadSize = 64 * 1024;

    private readonly FrameConnection _frames;

    public VoteChannel(Stream stream)
    {
        _frames = new FrameConnection(stream, FrameFormat.TypeThenLength24, MaxPayloadSize, VoteWire.Errors, leaveOpen: true);
    }

    public ValueTask SendAsync(VoteMessageType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        _frames.WriteAsync((byte)type, payload, cancellationToken);

    /// <summary>
    /// Reads one message. Returns null when the peer closed the stream cleanly between messages;
    /// a close inside a message or an oversized length is a <see cref="VoteProtocolException"/>.
    /// </summary>
    public async ValueTask<(VoteMessageType Type, ReadOnlyMemory<byte> Payload)?> ReceiveAsync(CancellationToken cancellationToken) =>
        await _frames.ReadAsync(cancellationToken).ConfigureAwait(false) is { } frame ? ((VoteMessageType)frame.Type, frame.Payload) : null;

    public void Dispose() => _frames.Dispose();
}
