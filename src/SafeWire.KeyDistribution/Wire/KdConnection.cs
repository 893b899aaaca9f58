using SafeWire.Framing;
using System.Buffers.Binary;

namespace SafeWire.KeyDistribution.Wire;

/// <summary>One received frame; <see cref="Body"/> is valid until the next read on the same connection.</summary>
internal readonly record struct KdFrame(KdMessageType Type, ReadOnlyMemory<byte> Body)
{
    public FieldReader Reader() => new(Body.Span, KdWireErrors.Instance, Type.ToString(), (byte)Type);
}

/// <summary>Sees every frame a connection handles (the key manager's journal uses it).</summary>
public interface IFrameObserver
{
    /// <summary>Called for each frame read (<paramref name="outgoing"/> false) or written, with its decrypted body; the span is valid only during the call.</summary>
    void OnFrame(bool outgoing, KdMessageType type, ReadOnlySpan<byte> body);
}

/// <summary>
/// Key distribution's frames over the shared <see cref="FrameConnection"/>: <c>u32 length (big-endian, counts type +
/// body) | u8 type | body</c>. The length is checked against <see cref="MaxFrameLength"/> before anything is allocated;
/// the receive buffer is rented once and reused (it holds exactly the last frame read). Writes are serialized, so
/// several tasks may send on one connection; file chunks are built in the sender's own buffer and sent with
/// <see cref="SendFrameAsync"/>.
/// </summary>
internal sealed class KdConnection : IAsyncDisposable
{
    /// <summary>Large enough for a 64 KiB chunk with its padding, MAC and header.</summary>
    public const int MaxFrameLength = 80 * 1024;

    /// <summary>Bytes before a frame's body: the u32 length and the u8 type.</summary>
    public const int HeaderSize = 5;

    private readonly FrameConnection _frames;
    private readonly SemaphoreSlim _builderLock = new(1, 1);
    private readonly FieldWriter _writer = new();

    public KdConnection(Stream stream, bool ownsStream = true, IFrameObserver? observer = null)
    {
        Observer = observer;
        _frames = new FrameConnection(stream, FrameFormat.LengthThenType, MaxFrameLength, KdWireErrors.Instance,
            observer is null ? null : (inbound, frame) => observer.OnFrame(!inbound, (KdMessageType)frame[4], frame[HeaderSize..]),
            leaveOpen: !ownsStream);
    }

    public Stream Stream => _frames.Stream;

    public IFrameObserver? Observer { get; }

    /// <summary>Reads the next frame; <see cref="KdError.ConnectionClosed"/> on a clean or mid-frame end of stream.</summary>
    public async ValueTask<KdFrame> ReadAsync(CancellationToken cancellationToken)
    {
        Frame? frame;
        try
        {
            frame = await _frames.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Transport.SecureChannelException e)
        {
            // A record that fails its AEAD tag, a replay or a truncation: the channel refuses what it cannot prove.
            throw new KdException(e.Alert == Protocol.Alert.CloseNotify ? KdError.ConnectionClosed : KdError.IntegrityFailure, "The SafeWire channel failed: " + e.Message, e);
        }
        catch (IOException e) when (e is not KdException)
        {
            throw new KdException(KdError.ConnectionClosed, "The connection broke: " + e.Message, e);
        }

        return frame is { } read
            ? new KdFrame((KdMessageType)read.Type, read.Payload)
            : throw new KdException(KdError.ConnectionClosed, "The other side closed the connection.");
    }

    /// <summary>Reads the next frame and insists on its type ("expected X, got Y").</summary>
    public async ValueTask<KdFrame> ExpectAsync(KdMessageType expected, CancellationToken cancellationToken)
    {
        var frame = await ReadAsync(cancellationToken).ConfigureAwait(false);
        if (frame.Type != expected)
        {
            throw Unexpected(expected.ToString(), frame);
        }

        return frame;
    }

    public static KdException Unexpected(string expected, KdFrame frame) => frame.Type switch
    {
        KdMessageType.PeerAbort or KdMessageType.Refused => new KdException(
            frame.Type == KdMessageType.Refused ? KdError.Refused : KdError.PeerFailed,
            ReadReason(frame)),
        _ => new KdException(KdError.UnexpectedMessage, $"Expected {expected}, got {frame.Type}."),
    };

    /// <summary>The text of a Refused or PeerAbort frame.</summary>
    public static string ReadReason(KdFrame frame)
    {
        var reader = frame.Reader();
        if (frame.Type == KdMessageType.Refused)
        {
            reader.U8();
        }

        return reader.String16();
    }

    /// <summary>Sends one frame whose body <paramref name="build"/> writes (bodies may carry keys: zeroed after sending).</summary>
    public async ValueTask SendAsync(KdMessageType type, Action<FieldWriter> build, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(build);
        await _builderLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _writer.Clear();
            build(_writer);
            if (_writer.Length + 1 > MaxFrameLength)
            {
                throw new ArgumentOutOfRangeException(nameof(build), $"A {type} body of {_writer.Length} bytes exceeds the frame limit.");
            }

            await _frames.WriteAsync((byte)type, _writer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writer.Clear();
            _builderLock.Release();
        }
    }

    public ValueTask SendAsync(KdMessageType type, CancellationToken cancellationToken) => SendAsync(type, static _ => { }, cancellationToken);

    /// <summary>Writes a frame header for a body of <paramref name="bodyLength"/> bytes (hot path: the caller builds the body in place).</summary>
    public static void WriteHeader(Span<byte> destination, KdMessageType type, int bodyLength)
    {
        if (bodyLength < 0 || bodyLength + 1 > MaxFrameLength)
        {
            throw new ArgumentOutOfRangeException(nameof(bodyLength), $"A {type} body of {bodyLength} bytes exceeds the frame limit.");
        }

        FrameFormat.LengthThenType.WriteHeader(destination, (byte)type, bodyLength);
    }

    /// <summary>
    /// Hot path for file chunks: sends a whole frame the caller built in its own buffer (header from
    /// <see cref="WriteHeader"/>), without copying or allocating.
    /// </summary>
    public ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (frame.Length < HeaderSize || BinaryPrimitives.ReadUInt32BigEndian(frame.Span) != (uint)(frame.Length - 4))
        {
            throw new ArgumentException("The frame's length field does not match its size.", nameof(frame));
        }

        return _frames.WriteFrameAsync(frame, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _frames.DisposeAsync().ConfigureAwait(false);
        _writer.Clear();
        _builderLock.Dispose();
    }
}

/// <summary>Key distribution's wire errors: an end of stream is <see cref="KdError.ConnectionClosed"/>, anything else <see cref="KdError.Malformed"/>.</summary>
internal sealed class KdWireErrors : IWireErrors
{
    public static KdWireErrors Instance { get; } = new();

    public Exception Create(WireError wireError) => wireError.Kind switch
    {
        WireErrorKind.EndInHeader or WireErrorKind.EndInPayload => new KdException(KdError.ConnectionClosed, "The other side closed the connection."),
        _ => new KdException(KdError.Malformed, "Malformed " + wireError.Describe(((KdMessageType)wireError.Type).ToString())),
    };
}
