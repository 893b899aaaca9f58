using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SafeWire.KeyDistribution.Wire;

/// <summary>One received frame; <see cref="Body"/> is valid until the next read on the same connection.</summary>
public readonly record struct KdFrame(KdMessageType Type, ReadOnlyMemory<byte> Body)
{
    public FrameReader Reader() => new(Type, Body.Span);
}

/// <summary>Sees every frame a connection handles (the key manager's journal uses it).</summary>
public interface IFrameObserver
{
    void OnFrame(bool outgoing, KdMessageType type, ReadOnlySpan<byte> body);
}

/// <summary>
/// Frames over a stream: <c>u32 length (big-endian, counts type + body) | u8 type | body</c>.
/// The length is checked against <see cref="MaxFrameLength"/> before anything is allocated; the receive
/// buffer is rented once and reused (invariant: it holds exactly the last frame read). Writes are
/// serialized, so several tasks may send on one connection; file chunks are built in the sender's own
/// buffer and sent with <see cref="SendFrameAsync"/>.
/// </summary>
public sealed class KdConnection : IAsyncDisposable
{
    /// <summary>Large enough for a 64 KiB chunk with its padding, MAC and header.</summary>
    public const int MaxFrameLength = 80 * 1024;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly FrameWriter _writer = new();
    private byte[]? _receive = ArrayPool<byte>.Shared.Rent(MaxFrameLength);
    private byte[]? _send = ArrayPool<byte>.Shared.Rent(MaxFrameLength + HeaderSize);

    public KdConnection(Stream stream, bool ownsStream = true, IFrameObserver? observer = null)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        Observer = observer;
    }

    public Stream Stream => _stream;

    public IFrameObserver? Observer { get; }

    /// <summary>Reads the next frame; <see cref="KdError.ConnectionClosed"/> on a clean or mid-frame end of stream.</summary>
    public async ValueTask<KdFrame> ReadAsync(CancellationToken cancellationToken)
    {
        var buffer = _receive ?? throw new ObjectDisposedException(nameof(KdConnection));
        await ReadExactAsync(buffer.AsMemory(0, 4), cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadUInt32BigEndian(buffer);
        if (length is 0 or > MaxFrameLength)
        {
            throw new KdException(KdError.Malformed, $"A frame of {length} bytes is outside 1..{MaxFrameLength}.");
        }

        await ReadExactAsync(buffer.AsMemory(0, (int)length), cancellationToken).ConfigureAwait(false);
        var type = (KdMessageType)buffer[0];
        var body = buffer.AsMemory(1, (int)length - 1);
        Observer?.OnFrame(false, type, body.Span);
        return new KdFrame(type, body);
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

        return reader.Text();
    }

    /// <summary>Sends one frame whose body <paramref name="build"/> writes.</summary>
    public async ValueTask SendAsync(KdMessageType type, Action<FrameWriter> build, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _writer.Clear();
            build(_writer);
            await SendBodyAsync(type, _writer.WrittenSpan.Length, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writer.Clear();
            _writeLock.Release();
        }
    }

    public ValueTask SendAsync(KdMessageType type, CancellationToken cancellationToken) => SendAsync(type, static _ => { }, cancellationToken);

    /// <summary>Bytes before a frame's body: the u32 length and the u8 type.</summary>
    public const int HeaderSize = 5;

    /// <summary>Writes a frame header for a body of <paramref name="bodyLength"/> bytes (hot path: the caller builds the body in place).</summary>
    public static void WriteHeader(Span<byte> destination, KdMessageType type, int bodyLength)
    {
        if (bodyLength < 0 || bodyLength + 1 > MaxFrameLength)
        {
            throw new ArgumentOutOfRangeException(nameof(bodyLength), $"A {type} body of {bodyLength} bytes exceeds the frame limit.");
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(bodyLength + 1));
        destination[4] = (byte)type;
    }

    /// <summary>
    /// Hot path for file chunks: sends a whole frame the caller built in its own buffer (header from
    /// <see cref="WriteHeader"/>), without copying or allocating.
    /// </summary>
    public async ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (frame.Length < HeaderSize || BinaryPrimitives.ReadUInt32BigEndian(frame.Span) != (uint)(frame.Length - 4))
        {
            throw new ArgumentException("The frame's length field does not match its size.", nameof(frame));
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Observer?.OnFrame(true, (KdMessageType)frame.Span[4], frame.Span[HeaderSize..]);
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
        if (_ownsStream)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }

        ReturnBuffer(ref _receive);
        ReturnBuffer(ref _send);
        _writeLock.Dispose();
    }

    private async ValueTask SendBodyAsync(KdMessageType type, int bodyLength, CancellationToken cancellationToken)
    {
        var send = _send ?? throw new ObjectDisposedException(nameof(KdConnection));
        WriteHeader(send, type, bodyLength);
        _writer.WrittenSpan.CopyTo(send.AsSpan(HeaderSize));
        try
        {
            Observer?.OnFrame(true, type, send.AsSpan(HeaderSize, bodyLength));
            await _stream.WriteAsync(send.AsMemory(0, bodyLength + HeaderSize), cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Control bodies may carry keys (KeyGrant).
            CryptographicOperations.ZeroMemory(send.AsSpan(0, bodyLength + HeaderSize));
        }
    }

    private async ValueTask ReadExactAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        int read;
        try
        {
            read = await _stream.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
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

        if (read < destination.Length)
        {
            throw new KdException(KdError.ConnectionClosed, "The other side closed the connection.");
        }
    }

    private static void ReturnBuffer(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            CryptographicOperations.ZeroMemory(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }
}
