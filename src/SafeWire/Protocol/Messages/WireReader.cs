using System.Buffers.Binary;

namespace SafeWire.Protocol.Messages;

/// <summary>Big-endian reader over a span; any short read is a decode error naming what was being read.</summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly string _what;
    private int _position;

    public WireReader(ReadOnlySpan<byte> buffer, string what)
    {
        _buffer = buffer;
        _what = what;
        _position = 0;
    }

    public readonly int Remaining => _buffer.Length - _position;

    public byte ReadUInt8() => Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadUInt24()
    {
        var b = Take(3);
        return (b[0] << 16) | (b[1] << 8) | b[2];
    }

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    public ReadOnlySpan<byte> ReadVector8() => Take(ReadUInt8());

    public ReadOnlySpan<byte> ReadVector16() => Take(ReadUInt16());

    public ReadOnlySpan<byte> ReadVector24() => Take(ReadUInt24());

    /// <summary>Every message must be consumed exactly: trailing bytes are a decode error.</summary>
    public readonly void EnsureEnd()
    {
        if (_position != _buffer.Length)
        {
            throw new ProtocolException(Alert.DecodeError, $"Malformed {_what}: {_buffer.Length - _position} trailing bytes.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _buffer.Length - _position)
        {
            throw new ProtocolException(Alert.DecodeError, $"Malformed {_what}: truncated.");
        }

        var slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }
}

/// <summary>Big-endian writer for handshake messages (not a hot path: allocation is fine here).</summary>
internal sealed class WireWriter
{
    private byte[] _buffer = new byte[256];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void WriteUInt8(int value) => Grow(1)[0] = checked((byte)value);

    public void WriteUInt16(int value) => BinaryPrimitives.WriteUInt16BigEndian(Grow(2), checked((ushort)value));

    public void WriteUInt24(int value)
    {
        if (value is < 0 or > 0xFFFFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(value));
        }

        var s = Grow(3);
        s[0] = unchecked((byte)(value >> 16));
        s[1] = unchecked((byte)(value >> 8));
        s[2] = unchecked((byte)value);
    }

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Grow(8), value);

    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

    public void WriteVector8(ReadOnlySpan<byte> bytes)
    {
        WriteUInt8(bytes.Length);
        WriteBytes(bytes);
    }

    public void WriteVector16(ReadOnlySpan<byte> bytes)
    {
        WriteUInt16(bytes.Length);
        WriteBytes(bytes);
    }

    public void WriteVector24(ReadOnlySpan<byte> bytes)
    {
        WriteUInt24(bytes.Length);
        WriteBytes(bytes);
    }

    public byte[] ToArray() => Written.ToArray();

    /// <summary>Wipes the buffer (for encodings that held secrets).</summary>
    public void Zero() => System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer);

    private Span<byte> Grow(int count)
    {
        if (Length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        }

        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }
}
