using System.Buffers.Binary;

namespace SafeWire.Framing;

/// <summary>
/// The frame header layouts the applications use on the wire. All are big-endian; the length is checked against the
/// caller's limit from the header alone, before anything is read or allocated for the payload.
/// </summary>
internal sealed class FrameFormat
{
    private FrameFormat(string name, int headerSize)
    {
        Name = name;
        HeaderSize = headerSize;
    }

    /// <summary><c>u32 length | u8 type | payload</c>, the length counting the type byte and the payload (files, key distribution).</summary>
    public static FrameFormat LengthThenType { get; } = new("u32 length (type + payload) | u8 type", 5);

    /// <summary><c>u8 type | u32 payload length | payload</c> (chat).</summary>
    public static FrameFormat TypeThenLength32 { get; } = new("u8 type | u32 payload length", 5);

    /// <summary><c>u8 type | u24 payload length | payload</c> (voting).</summary>
    public static FrameFormat TypeThenLength24 { get; } = new("u8 type | u24 payload length", 4);

    /// <summary>A description of the layout.</summary>
    public string Name { get; }

    /// <summary>Bytes before the payload.</summary>
    public int HeaderSize { get; }

    /// <summary>
    /// Reads a header. <paramref name="maxLength"/> is compared with the length field as the format defines it (type
    /// and payload for <see cref="LengthThenType"/>, where 0 is also refused; the payload otherwise).
    /// </summary>
    public (byte Type, int PayloadLength) ReadHeader(ReadOnlySpan<byte> header, int maxLength, IWireErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        byte type;
        long length;
        int payload;
        if (ReferenceEquals(this, LengthThenType))
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(header);
            type = header[4];
            if (length is 0 || length > maxLength)
            {
                throw errors.Create(new WireError(WireErrorKind.FrameTooLong, string.Empty, type, length, maxLength));
            }

            payload = (int)length - 1;
        }
        else
        {
            type = header[0];
            length = ReferenceEquals(this, TypeThenLength32)
                ? BinaryPrimitives.ReadUInt32BigEndian(header[1..])
                : (header[1] << 16) | (header[2] << 8) | header[3];
            if (!errors.IsKnownType(type))
            {
                throw errors.Create(new WireError(WireErrorKind.UnknownType, string.Empty, type, length, 0));
            }

            if (length > maxLength)
            {
                throw errors.Create(new WireError(WireErrorKind.FrameTooLong, string.Empty, type, length, maxLength));
            }

            payload = (int)length;
        }

        if (ReferenceEquals(this, LengthThenType) && !errors.IsKnownType(type))
        {
            throw errors.Create(new WireError(WireErrorKind.UnknownType, string.Empty, type, length, 0));
        }

        return (type, payload);
    }

    /// <summary>Writes a header for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public void WriteHeader(Span<byte> destination, byte type, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        if (ReferenceEquals(this, LengthThenType))
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payloadLength + 1);
            destination[4] = type;
        }
        else if (ReferenceEquals(this, TypeThenLength32))
        {
            destination[0] = type;
            BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)payloadLength);
        }
        else
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, 0xFFFFFF);
            destination[0] = type;
            destination[1] = unchecked((byte)(payloadLength >> 16));
            destination[2] = unchecked((byte)(payloadLength >> 8));
            destination[3] = unchecked((byte)payloadLength);
        }
    }
}
