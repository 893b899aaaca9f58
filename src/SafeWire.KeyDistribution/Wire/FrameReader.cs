using System.Buffers.Binary;
using System.Text;

namespace SafeWire.KeyDistribution.Wire;

/// <summary>
/// Reads a frame body written by <see cref="FrameWriter"/>. Every read checks the remaining length first;
/// a short body or trailing bytes (<see cref="EnsureEnd"/>) are <see cref="KdError.Malformed"/>.
/// </summary>
public ref struct FrameReader
{
    private ReadOnlySpan<byte> _rest;
    private readonly KdMessageType _type;

    public FrameReader(KdMessageType type, ReadOnlySpan<byte> body)
    {
        _type = type;
        _rest = body;
    }

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public long I64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public ReadOnlySpan<byte> Bytes() => Take(U16());

    /// <summary>A time as Unix milliseconds; one outside what <see cref="DateTimeOffset"/> holds is malformed.</summary>
    public DateTimeOffset Time()
    {
        var milliseconds = I64();
        if (milliseconds is < -62_135_596_800_000 or > 253_402_300_799_999)
        {
            throw Malformed($"time {milliseconds} is out of range");
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }

    /// <summary>A byte string that must have exactly <paramref name="length"/> bytes.</summary>
    public ReadOnlySpan<byte> Bytes(int length)
    {
        var value = Bytes();
        if (value.Length != length)
        {
            throw Malformed($"a field of {length} bytes had {value.Length}");
        }

        return value;
    }

    public ReadOnlySpan<byte> Blob()
    {
        var length = U32();
        if (length > (uint)_rest.Length)
        {
            throw Malformed("a blob runs past the end of the frame");
        }

        return Take((int)length);
    }

    public string Text()
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(Bytes());
        }
        catch (DecoderFallbackException)
        {
            throw Malformed("text is not valid UTF-8");
        }
    }

    /// <summary>Rejects trailing bytes: a frame means exactly what its fields say.</summary>
    public readonly void EnsureEnd()
    {
        if (!_rest.IsEmpty)
        {
            throw Malformed($"{_rest.Length} trailing bytes");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _rest.Length)
        {
            throw Malformed("the frame ends too early");
        }

        var value = _rest[..count];
        _rest = _rest[count..];
        return value;
    }

    private readonly KdException Malformed(string what) => new(KdError.Malformed, $"Malformed {_type} message: {what}.");
}
