using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SafeWire.Framing;

/// <summary>
/// Builds one frame payload (or a whole frame, header first), big-endian, the mirror of <see cref="FieldReader"/>.
/// <see cref="Clear"/> zeroes what was written, for payloads that carried keys.
/// </summary>
public sealed class FieldWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly FrameFormat? _format;
    private readonly byte _type;

    /// <summary>A writer for a bare payload.</summary>
    public FieldWriter(int initialCapacity = 256)
    {
        _buffer = new ArrayBufferWriter<byte>(Math.Max(initialCapacity, 1));
    }

    /// <summary>A writer for a whole frame: the header is reserved now and completed by <see cref="ToFrame"/>.</summary>
    internal FieldWriter(FrameFormat format, byte type, int initialCapacity = 64)
        : this(initialCapacity)
    {
        ArgumentNullException.ThrowIfNull(format);
        _format = format;
        _type = type;
        _buffer.GetSpan(format.HeaderSize)[..format.HeaderSize].Clear();
        _buffer.Advance(format.HeaderSize);
    }

    /// <summary>What was written (with the reserved header, for a frame writer).</summary>
    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    /// <summary>What was written, as memory (valid until the next write or <see cref="Clear"/>).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    /// <summary>Bytes written so far.</summary>
    public int Length => _buffer.WrittenCount;

    /// <summary>One byte.</summary>
    public FieldWriter U8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    /// <summary>A 16-bit unsigned integer.</summary>
    public FieldWriter U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
        return this;
    }

    /// <summary>A 32-bit unsigned integer.</summary>
    public FieldWriter U32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    /// <summary>A 64-bit unsigned integer.</summary>
    public FieldWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    /// <summary>A time as signed 64-bit Unix milliseconds.</summary>
    public FieldWriter UnixMilliseconds(DateTimeOffset value) => I64(value.ToUnixTimeMilliseconds());

    /// <summary>A 64-bit signed integer.</summary>
    public FieldWriter I64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    /// <summary>Bytes as they are, no prefix.</summary>
    public FieldWriter Fixed(ReadOnlySpan<byte> value)
    {
        _buffer.Write(value);
        return this;
    }

    /// <summary>Bytes with a u16 length prefix (at most 65535; more is the caller's bug).</summary>
    public FieldWriter Bytes16(ReadOnlySpan<byte> value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Length, ushort.MaxValue, nameof(value));
        U16((ushort)value.Length);
        return Fixed(value);
    }

    /// <summary>Bytes with a u32 length prefix.</summary>
    public FieldWriter Bytes32(ReadOnlySpan<byte> value)
    {
        U32((uint)value.Length);
        return Fixed(value);
    }

    /// <summary>UTF-8 text with a u16 byte-length prefix, at most <paramref name="maxBytes"/> bytes (more is the caller's bug).</summary>
    public FieldWriter String16(string value, int maxBytes = ushort.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > Math.Min(maxBytes, ushort.MaxValue))
        {
            throw new ArgumentException($"Text is {length} bytes in UTF-8; the limit is {Math.Min(maxBytes, ushort.MaxValue)}.", nameof(value));
        }

        U16((ushort)length);
        _buffer.Advance(Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length)));
        return this;
    }

    /// <summary>A copy of what was written.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>The finished frame (header completed); the payload must be at most <paramref name="maxPayload"/> bytes.</summary>
    public byte[] ToFrame(int maxPayload)
    {
        var format = _format ?? throw new InvalidOperationException("This writer was not created for a frame.");
        var frame = _buffer.WrittenSpan.ToArray();
        int payload = frame.Length - format.HeaderSize;
        if (payload > maxPayload)
        {
            throw new InvalidOperationException($"Frame payload of {payload} bytes is over the {maxPayload}-byte limit.");
        }

        format.WriteHeader(frame, _type, payload);
        return frame;
    }

    /// <summary>Zeroes and forgets what was written (it may have held keys).</summary>
    public void Clear() => _buffer.Clear();
}
