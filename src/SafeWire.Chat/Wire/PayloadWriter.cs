using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SafeWire.Chat.Wire;

/// <summary>Writes a frame (header, then fields big-endian; strings and byte strings length-prefixed).</summary>
internal sealed class PayloadWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64);

    public PayloadWriter(ChatFrameType type)
    {
        // Header: type (1 byte) and payload length (u32, patched in ToFrame).
        var header = _buffer.GetSpan(ChatFrameCodec.HeaderLength);
        header[0] = (byte)type;
        _buffer.Advance(ChatFrameCodec.HeaderLength);
    }

    public void U8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void I64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    /// <summary>UTF-8, u16 length prefix; longer than <paramref name="maxBytes"/> is the caller's bug.</summary>
    public void String(string value, int maxBytes)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > maxBytes)
        {
            throw new ArgumentException($"Text is {length} bytes in UTF-8; the limit is {maxBytes}.", nameof(value));
        }

        U16((ushort)length);
        var written = Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(written);
    }

    /// <summary>Opaque bytes with a u32 length prefix.</summary>
    public void Bytes(ReadOnlySpan<byte> value)
    {
        U32((uint)value.Length);
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
    }

    /// <summary>Bytes of a known fixed length, no prefix.</summary>
    public void Fixed(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
    }

    /// <summary>The finished frame, header included.</summary>
    public byte[] ToFrame()
    {
        var frame = _buffer.WrittenSpan.ToArray();
        var payloadLength = frame.Length - ChatFrameCodec.HeaderLength;
        if (payloadLength > ChatLimits.MaxFramePayload)
        {
            throw new InvalidOperationException($"Frame payload of {payloadLength} bytes is over the {ChatLimits.MaxFramePayload}-byte limit.");
        }

        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payloadLength);
        return frame;
    }
}
