using SafeWire.Framing;

namespace SafeWire.Files.Transfer;

/// <summary>
/// Frames over a stream in the shared <see cref="FrameFormat.LengthThenType"/> layout: <c>u32 length | u8 type | payload</c>, length counting type and payload, at most
/// <see cref="MaxFrame"/>. One receive and one send buffer per connection, allocated once, so a transfer of any size
/// runs in constant memory; the length is checked before anything is read into them.
/// </summary>
internal sealed class FileChannel : IAsyncDisposable
{
    /// <summary>
    /// Payload of the Data frames we send: as large as a frame allows (fewer hand-offs between the channel, the hash
    /// and the disk per GiB) while a whole number of 4 KiB blocks, so the receiver's direct writes stay aligned.
    /// </summary>
    public const int DataChunk = MaxFrame - 4096;

    /// <summary>Largest type + payload accepted.</summary>
    public const int MaxFrame = 1024 * 1024;

    /// <summary>Bytes before the payload in a frame buffer (length and type).</summary>
    public const int HeaderSize = 5;

    private readonly Stream _stream;
    private readonly byte[] _receive = new byte[HeaderSize + MaxFrame];
    private readonly byte[] _send = new byte[HeaderSize + MaxFrame];
    private int _received;

    public FileChannel(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    public Stream Stream => _stream;

    /// <summary>The payload area of the send buffer; fill it, then call <see cref="SendAsync"/>.</summary>
    public Span<byte> Payload => _send.AsSpan(HeaderSize, MaxFrame - 1);

    /// <summary>The same area as memory (to read file data straight into it).</summary>
    public Memory<byte> PayloadMemory => _send.AsMemory(HeaderSize, MaxFrame - 1);

    /// <summary>The payload of the frame last received; valid until the next receive.</summary>
    public ReadOnlySpan<byte> Received => _receive.AsSpan(HeaderSize, _received);

    public ReadOnlyMemory<byte> ReceivedMemory => _receive.AsMemory(HeaderSize, _received);

    /// <summary>Sends the first <paramref name="payloadLength"/> bytes of <see cref="Payload"/> as a frame of <paramref name="type"/>.</summary>
    public ValueTask SendAsync(FileMessageType type, int payloadLength, CancellationToken cancellationToken) =>
        SendFrameAsync(type, _send, payloadLength, cancellationToken);

    /// <summary>
    /// Sends a frame from a buffer of the caller's whose payload starts at <see cref="HeaderSize"/> (the header is
    /// written here), so a sender can fill one buffer while another is on the wire; one write, so one frame never
    /// costs two channel records.
    /// </summary>
    public async ValueTask SendFrameAsync(FileMessageType type, byte[] frame, int payloadLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, Math.Min(MaxFrame - 1, frame.Length - HeaderSize));
        FrameFormat.LengthThenType.WriteHeader(frame, (byte)type, payloadLength);
        await _stream.WriteAsync(frame.AsMemory(0, HeaderSize + payloadLength), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => new(_stream.FlushAsync(cancellationToken));

    /// <summary>Sends an Error frame.</summary>
    public ValueTask SendErrorAsync(FileErrorCode code, string message, CancellationToken cancellationToken)
    {
        var writer = new FieldSpanWriter(Payload);
        writer.U8((byte)code);
        writer.String16(message.Length > 1000 ? message[..1000] : message);
        return SendAsync(FileMessageType.Error, writer.Length, cancellationToken);
    }

    /// <summary>Receives one frame; null at a clean end of stream between frames.</summary>
    public async ValueTask<FileMessageType?> ReceiveAsync(CancellationToken cancellationToken) =>
        (await ReceiveAsync(null, cancellationToken).ConfigureAwait(false)).Type;

    /// <summary>
    /// Receives one frame like <see cref="ReceiveAsync(CancellationToken)"/>, except that the payload of a Data frame is
    /// read straight into <paramref name="dataBuffer"/> (at least <see cref="MaxFrame"/> bytes), so a receiver can hand
    /// it on without a copy; returns the type and that payload's length (0 for other frames, which land in
    /// <see cref="Received"/> as usual).
    /// </summary>
    public ValueTask<(FileMessageType? Type, int DataLength)> ReceiveDataAsync(Memory<byte> dataBuffer, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dataBuffer.Length, MaxFrame);
        return ReceiveAsync(dataBuffer, cancellationToken);
    }

    private async ValueTask<(FileMessageType? Type, int DataLength)> ReceiveAsync(Memory<byte>? dataBuffer, CancellationToken cancellationToken)
    {
        var header = _receive.AsMemory(0, HeaderSize);
        var first = await _stream.ReadAsync(header, cancellationToken).ConfigureAwait(false);
        if (first == 0)
        {
            return (null, 0);
        }

        if (first < HeaderSize)
        {
            await _stream.ReadExactlyAsync(header[first..], cancellationToken).ConfigureAwait(false);
        }

        var (rawType, payload) = FrameFormat.LengthThenType.ReadHeader(_receive, MaxFrame, FileWireErrors.Instance);
        var type = (FileMessageType)rawType;
        if (dataBuffer is not null && type == FileMessageType.Data)
        {
            _received = 0;
            await _stream.ReadExactlyAsync(dataBuffer.Value[..payload], cancellationToken).ConfigureAwait(false);
            return (type, payload);
        }

        _received = payload;
        await _stream.ReadExactlyAsync(_receive.AsMemory(HeaderSize, _received), cancellationToken).ConfigureAwait(false);
        return (type, 0);
    }

    /// <summary>Receives a frame that must be <paramref name="expected"/>; an Error frame becomes a <see cref="FileTransferException"/>.</summary>
    public async ValueTask ExpectAsync(FileMessageType expected, CancellationToken cancellationToken)
    {
        var type = await ReceiveAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("The connection closed in the middle of an operation.");
        ThrowIfError(type);
        if (type != expected)
        {
            throw new FileTransferException(FileErrorCode.BadRequest, $"Expected {expected}, got {type}.");
        }
    }

    /// <summary>Turns a received Error frame into its exception.</summary>
    public void ThrowIfError(FileMessageType type)
    {
        if (type != FileMessageType.Error)
        {
            return;
        }

        var reader = FileWireErrors.Reader(Received);
        var code = (FileErrorCode)reader.U8();
        var message = reader.String16();
        throw new FileTransferException(code, message);
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
