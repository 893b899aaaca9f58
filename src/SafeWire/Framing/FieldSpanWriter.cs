using System.Buffers.Binary;
using System.Text;

namespace SafeWire.Framing;

/// <summary>
/// <see cref="FieldWriter"/>'s layout written straight into a caller's buffer (a connection's preallocated frame
/// buffer, so a transfer runs in constant memory). A field that does not fit is the caller's bug.
/// </summary>
internal ref struct FieldSpanWriter
{
    private readonly Span<byte> _destination;

    /// <summary>A writer that fills <paramref name="destination"/> from its start.</summary>
    public FieldSpanWriter(Span<byte> destination)
    {
        _destination = destination;
    }

    /// <summary>Bytes written so far.</summary>
    public int Length { get; private set; }

    /// <summary>One byte.</summary>
    public void U8(byte value) => _destination[Length++] = value;

    /// <summary>A 32-bit unsigned integer.</summary>
    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_destination[Length..], value);
        Length += 4;
    }

    /// <summary>A 64-bit signed integer.</summary>
    public void I64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_destination[Length..], value);
        Length += 8;
    }

    /// <summary>Bytes as they are, no prefix.</summary>
    public void Fixed(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_destination[Length..]);
        Length += value.Length;
    }

    /// <summary>UTF-8 text with a u16 byte-length prefix (more than 65535 bytes is the caller's bug).</summary>
    public void String16(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            throw new ArgumentException($"Text is {count} bytes in UTF-8; the limit is {ushort.MaxValue}.", nameof(value));
        }

        BinaryPrimitives.WriteUInt16BigEndian(_destination[Length..], (ushort)count);
        Length += 2;
        Length += Encoding.UTF8.GetBytes(value, _destination[Length..]);
    }
}
