using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SafeWire.KeyDistribution.Wire;

/// <summary>
/// Builds one frame body: big-endian integers, byte strings with a 16-bit length, blobs with a 32-bit
/// length, UTF-8 text with a 16-bit length. Reused by one connection; <see cref="Clear"/> zeroes what was
/// written because bodies may carry key material.
/// </summary>
public sealed class FrameWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public int WrittenCount => _buffer.WrittenCount;

    public FrameWriter U8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    public FrameWriter U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
        return this;
    }

    public FrameWriter U32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public FrameWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public FrameWriter I64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    /// <summary>A byte string of at most 65535 bytes.</summary>
    public FrameWriter Bytes(ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "A short byte string holds at most 65535 bytes.");
        }

        U16((ushort)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>A blob with a 32-bit length (chunk data).</summary>
    public FrameWriter Blob(ReadOnlySpan<byte> value)
    {
        U32((uint)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>Bytes as they are (a body built elsewhere).</summary>
    public FrameWriter Raw(ReadOnlySpan<byte> value)
    {
        _buffer.Write(value);
        return this;
    }

    /// <summary>A copy of the body written so far.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public FrameWriter Text(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Text holds at most 65535 UTF-8 bytes.");
        }

        U16((ushort)count);
        var written = Encoding.UTF8.GetBytes(value, _buffer.GetSpan(count));
        _buffer.Advance(written);
        return this;
    }

    /// <summary>Zeroes and forgets the body (it may have held keys).</summary>
    public void Clear() => _buffer.Clear();
}
