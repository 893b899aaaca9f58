using System.Buffers;

namespace SafeWire.Framing;

/// <summary>Sees every frame a <see cref="FrameConnection"/> reads or writes (whole frame, header included).</summary>
public delegate void FrameObserver(bool inbound, ReadOnlySpan<byte> frame);

/// <summary>Turns one frame's type and payload into a message (the payload is only valid during the call).</summary>
internal delegate T FrameDecoder<out T>(byte type, ReadOnlySpan<byte> payload);

/// <summary>One frame read by <see cref="FrameConnection.ReadAsync(CancellationToken)"/>; the payload is valid until the next read.</summary>
/// <param name="Type">The type byte.</param>
/// <param name="Payload">The payload, in the stream's receive buffer.</param>
internal readonly record struct Frame(byte Type, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Frames over a stream (in production a SecureStream) in one of the <see cref="FrameFormat"/> layouts, with a size
/// limit checked from the header before anything is allocated, and an optional observer. Reads are one at a time;
/// writes are serialized, so several tasks may send on one connection. Errors are the application's own
/// (<see cref="IWireErrors"/>).
/// </summary>
/// <remarks>
/// Two ways to read: <see cref="ReadAsync{T}"/> rents a buffer only once a header is in and returns it as soon as the
/// frame is decoded, so an idle connection holds no frame buffer; <see cref="ReadAsync(CancellationToken)"/> keeps
/// one pooled buffer for the stream's life and hands out the payload in place.
/// </remarks>
internal sealed class FrameConnection : IAsyncDisposable, IDisposable
{
    private readonly Stream _stream;
    private readonly FrameFormat _format;
    private readonly int _maxLength;
    private readonly IWireErrors _errors;
    private readonly bool _leaveOpen;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _header;
    private byte[]? _receive;
    private bool _disposed;

    /// <param name="stream">The transport.</param>
    /// <param name="format">The header layout.</param>
    /// <param name="maxLength">The limit on the header's length field (see <see cref="FrameFormat.ReadHeader"/>).</param>
    /// <param name="errors">How errors are reported.</param>
    /// <param name="observer">Sees every frame, or null.</param>
    /// <param name="leaveOpen">Whether <see cref="DisposeAsync"/> leaves <paramref name="stream"/> open.</param>
    public FrameConnection(Stream stream, FrameFormat format, int maxLength, IWireErrors errors, FrameObserver? observer = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(errors);
        _stream = stream;
        _format = format;
        _maxLength = maxLength;
        _errors = errors;
        _leaveOpen = leaveOpen;
        _header = new byte[format.HeaderSize];
        Observer = observer;
    }

    /// <summary>The transport.</summary>
    public Stream Stream => _stream;

    /// <summary>Sees every frame read or written.</summary>
    public FrameObserver? Observer { get; set; }

    /// <summary>
    /// Reads one frame and decodes it with <paramref name="decode"/>; default when the peer closed the stream
    /// cleanly between frames. The buffer is rented after the header and returned (cleared) after decoding.
    /// </summary>
    public async ValueTask<T?> ReadAsync<T>(FrameDecoder<T> decode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decode);
        if (!await ReadHeaderAsync(cancellationToken).ConfigureAwait(false))
        {
            return default;
        }

        var (type, length) = _format.ReadHeader(_header, _maxLength, _errors);
        int total = _format.HeaderSize + length;
        var frame = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            _header.CopyTo(frame, 0);
            await ReadPayloadAsync(frame.AsMemory(_format.HeaderSize, length), type, cancellationToken).ConfigureAwait(false);
            Observer?.Invoke(true, frame.AsSpan(0, total));
            return decode(type, frame.AsSpan(_format.HeaderSize, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame, clearArray: true);
        }
    }

    /// <summary>
    /// Reads one frame into the stream's receive buffer (rented once, at most the limit); null when the peer closed
    /// the stream cleanly between frames. The payload is valid until the next read.
    /// </summary>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken)
    {
        if (!await ReadHeaderAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var (type, length) = _format.ReadHeader(_header, _maxLength, _errors);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _receive ??= ArrayPool<byte>.Shared.Rent(_format.HeaderSize + _maxLength);
        _header.CopyTo(_receive, 0);
        var payload = _receive.AsMemory(_format.HeaderSize, length);
        await ReadPayloadAsync(payload, type, cancellationToken).ConfigureAwait(false);
        Observer?.Invoke(true, _receive.AsSpan(0, _format.HeaderSize + length));
        return new Frame(type, payload);
    }

    /// <summary>Writes a frame of <paramref name="type"/> around <paramref name="payload"/> in one write, then flushes; a payload over the limit is the caller's bug.</summary>
    public async ValueTask WriteAsync(byte type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        int limit = ReferenceEquals(_format, FrameFormat.LengthThenType) ? _maxLength - 1 : _maxLength;
        if (payload.Length > limit)
        {
            throw new ArgumentException($"A payload of {payload.Length} bytes is over the {limit}-byte limit.", nameof(payload));
        }

        var frame = ArrayPool<byte>.Shared.Rent(_format.HeaderSize + payload.Length);
        try
        {
            _format.WriteHeader(frame, type, payload.Length);
            payload.Span.CopyTo(frame.AsSpan(_format.HeaderSize));
            await WriteFrameAsync(frame.AsMemory(0, _format.HeaderSize + payload.Length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame, clearArray: true);
        }
    }

    /// <summary>Writes an already encoded frame (header included), then flushes.</summary>
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

    /// <summary>Returns the receive buffer (cleared) and closes the stream (unless it was to be left open).</summary>
    public async ValueTask DisposeAsync()
    {
        ReturnReceiveBuffer();
        if (!_leaveOpen)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }

        _writeLock.Dispose();
    }

    /// <summary>Returns the receive buffer (cleared) and closes the stream (unless it was to be left open).</summary>
    public void Dispose()
    {
        ReturnReceiveBuffer();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }

        _writeLock.Dispose();
    }

    private void ReturnReceiveBuffer()
    {
        _disposed = true;
        if (_receive is { } receive)
        {
            _receive = null;
            ArrayPool<byte>.Shared.Return(receive, clearArray: true);
        }
    }

    /// <summary>False at a clean end of stream before the first header byte.</summary>
    private async ValueTask<bool> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        int got = 0;
        while (got < _header.Length)
        {
            int read = await _stream.ReadAsync(_header.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return got == 0 ? false : throw _errors.Create(new WireError(WireErrorKind.EndInHeader, string.Empty, 0, got, _header.Length));
            }

            got += read;
        }

        return true;
    }

    private async ValueTask ReadPayloadAsync(Memory<byte> payload, byte type, CancellationToken cancellationToken)
    {
        for (int got = 0; got < payload.Length;)
        {
            int read = await _stream.ReadAsync(payload[got..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw _errors.Create(new WireError(WireErrorKind.EndInPayload, string.Empty, type, got, payload.Length));
            }

            got += read;
        }
    }
}
