using System.Buffers.Binary;
using System.Text;

namespace SafeWire.Framing;

/// <summary>
/// Reads the fields of one frame payload, big-endian: every read checks the remaining length first, a text field
/// must be strict UTF-8 within its limit, and <see cref="End"/> refuses trailing bytes. Errors come from the
/// application's <see cref="IWireErrors"/>.
/// </summary>
public ref struct FieldReader
{
    private const long MinUnixMilliseconds = -62_135_596_800_000;
    private const long MaxUnixMilliseconds = 253_402_300_799_999;
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly IWireErrors _errors;
    private readonly string _context;
    private readonly byte _type;
    private ReadOnlySpan<byte> _rest;

    /// <summary>A reader over <paramref name="payload"/>; <paramref name="context"/> and <paramref name="type"/> name it in errors.</summary>
    internal FieldReader(ReadOnlySpan<byte> payload, IWireErrors errors, string context = "", byte type = 0)
    {
        ArgumentNullException.ThrowIfNull(errors);
        _rest = payload;
        _errors = errors;
        _context = context;
        _type = type;
    }

    /// <summary>Bytes not read yet.</summary>
    public readonly int Remaining => _rest.Length;

    /// <summary>One byte.</summary>
    public byte U8() => Take(1)[0];

    /// <summary>A 16-bit unsigned integer.</summary>
    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    /// <summary>A 24-bit unsigned integer.</summary>
    public int U24()
    {
        var b = Take(3);
        return (b[0] << 16) | (b[1] << 8) | b[2];
    }

    /// <summary>A 32-bit unsigned integer.</summary>
    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    /// <summary>A 64-bit unsigned integer.</summary>
    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    /// <summary>A 64-bit signed integer.</summary>
    public long I64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    /// <summary>Exactly <paramref name="length"/> bytes, no prefix.</summary>
    public ReadOnlySpan<byte> Fixed(int length) => Take(length);

    /// <summary>Bytes with a u16 length prefix of at most <paramref name="maxLength"/>.</summary>
    public ReadOnlySpan<byte> Bytes16(int maxLength = ushort.MaxValue)
    {
        int length = U16();
        return length > maxLength ? throw Error(WireErrorKind.BytesTooLong, length, maxLength) : Take(length);
    }

    /// <summary>Bytes with a u32 length prefix of at most <paramref name="maxLength"/>.</summary>
    public ReadOnlySpan<byte> Bytes32(int maxLength)
    {
        uint length = U32();
        return length > (uint)maxLength ? throw Error(WireErrorKind.BytesTooLong, length, maxLength) : Take((int)length);
    }

    /// <summary>UTF-8 text with a u16 byte-length prefix of at most <paramref name="maxBytes"/>.</summary>
    public string String16(int maxBytes = ushort.MaxValue)
    {
        int length = U16();
        if (length > maxBytes)
        {
            throw Error(WireErrorKind.TextTooLong, length, maxBytes);
        }

        var bytes = Take(length);
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error(WireErrorKind.InvalidUtf8, length, maxBytes);
        }
    }

    /// <summary>Bytes with a u16 length prefix that must say exactly <paramref name="length"/>.</summary>
    public ReadOnlySpan<byte> Bytes16Exactly(int length)
    {
        int announced = U16();
        return announced != length ? throw Error(WireErrorKind.WrongLength, announced, length) : Take(announced);
    }

    /// <summary>A time as signed 64-bit Unix milliseconds; one outside what <see cref="DateTimeOffset"/> holds is refused.</summary>
    public DateTimeOffset UnixMilliseconds()
    {
        long milliseconds = I64();
        return milliseconds is < MinUnixMilliseconds or > MaxUnixMilliseconds
            ? throw Error(WireErrorKind.TimeOutOfRange, milliseconds, 0)
            : DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }

    /// <summary>Refuses trailing bytes: a frame means exactly what its fields say.</summary>
    public readonly void End()
    {
        if (!_rest.IsEmpty)
        {
            throw Error(WireErrorKind.TrailingBytes, _rest.Length, 0);
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _rest.Length)
        {
            throw Error(WireErrorKind.Truncated, count, _rest.Length);
        }

        var taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }

    private readonly Exception Error(WireErrorKind kind, long length, long limit) => _errors.Create(new WireError(kind, _context, _type, length, limit));
}
