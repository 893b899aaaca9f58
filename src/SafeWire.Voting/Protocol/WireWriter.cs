using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SafeWire.Voting.Protocol;

/// <summary>
/// Builds the canonical byte strings this app signs, hashes and sends: big-endian integers,
/// strings and byte strings prefixed with a 16-bit length. One encoding for the wire and for signatures,
/// so what is signed is exactly what is parsed.
/// </summary>
internal sealed class WireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public WireWriter(int initialCapacity = 256)
    {
        _buffer = new ArrayBufferWriter<byte>(initialCapacity);
    }

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>Zeroes what was written and starts over (ArrayBufferWriter.Clear clears the written bytes).</summary>
    public void Clear() => _buffer.Clear();

    public WireWriter Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    public WireWriter UInt16(int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), checked((ushort)value));
        _buffer.Advance(2);
        return this;
    }

    public WireWriter Int64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    /// <summary>Raw bytes with no length (fixed-size fields and context labels).</summary>
    public WireWriter Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
        return this;
    }

    /// <summary>A byte string: 16-bit length, then the bytes.</summary>
    public WireWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        UInt16(bytes.Length);
        return Raw(bytes);
    }

    /// <summary>A UTF-8 string: 16-bit byte length, then the bytes.</summary>
    public WireWriter String(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        UInt16(length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
        return this;
    }
}

/// <summary>Reads what <see cref="WireWriter"/> wrote; every overrun or trailing byte is a <see cref="VoteProtocolException"/>.</summary>
internal ref struct WireReader
{
    private ReadOnlySpan<byte> _remaining;

    public WireReader(ReadOnlySpan<byte> bytes)
    {
        _remaining = bytes;
    }

    public byte Byte() => Raw(1)[0];

    public int UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Raw(2));

    public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Raw(8));

    public ReadOnlySpan<byte> Raw(int length)
    {
        if (length > _remaining.Length)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, "message truncated");
        }

        var value = _remaining[..length];
        _remaining = _remaining[length..];
        return value;
    }

    public ReadOnlySpan<byte> Bytes(int maxLength)
    {
        var length = UInt16();
        if (length > maxLength)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"field of {length} bytes exceeds the limit of {maxLength}");
        }

        return Raw(length);
    }

    /// <summary>A fixed-size byte string (its length prefix must say exactly <paramref name="length"/>).</summary>
    public ReadOnlySpan<byte> FixedBytes(int length)
    {
        var value = Bytes(length);
        if (value.Length != length)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"expected a {length}-byte field, got {value.Length}");
        }

        return value;
    }

    public string String(int maxBytes)
    {
        var bytes = Bytes(maxBytes);
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, "invalid UTF-8 in a text field");
        }
    }

    /// <summary>Rejects trailing bytes: a message must be read completely.</summary>
    public readonly void End()
    {
        if (!_remaining.IsEmpty)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, $"{_remaining.Length} unexpected trailing bytes");
        }
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
