using System.Buffers.Binary;
using System.Text;

namespace SafeWire.Chat.Wire;

/// <summary>Reads the fields of one frame payload; every shortfall or leftover is a <see cref="ChatProtocolException"/>.</summary>
internal ref struct PayloadReader
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ChatFrameType _type;
    private ReadOnlySpan<byte> _rest;

    public PayloadReader(ChatFrameType type, ReadOnlySpan<byte> payload)
    {
        _type = type;
        _rest = payload;
    }

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long I64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public string String(int maxBytes)
    {
        int length = U16();
        if (length > maxBytes)
        {
            throw new ChatProtocolException($"{_type} frame: a text field of {length} bytes is over its {maxBytes}-byte limit.");
        }

        try
        {
            return s_strictUtf8.GetString(Take(length));
        }
        catch (DecoderFallbackException e)
        {
            throw new ChatProtocolException($"{_type} frame: a text field is not valid UTF-8.", e);
        }
    }

    public ReadOnlySpan<byte> Bytes(int maxBytes)
    {
        var length = U32();
        if (length > (uint)maxBytes)
        {
            throw new ChatProtocolException($"{_type} frame: a byte field of {length} bytes is over its {maxBytes}-byte limit.");
        }

        return Take((int)length);
    }

    public ReadOnlySpan<byte> Fixed(int length) => Take(length);

    /// <summary>Rejects trailing bytes.</summary>
    public readonly void End()
    {
        if (!_rest.IsEmpty)
        {
            throw new ChatProtocolException($"{_type} frame has {_rest.Length} unexpected trailing bytes.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_rest.Length < count)
        {
            throw new ChatProtocolException($"{_type} frame is truncated.");
        }

        var taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }
}
