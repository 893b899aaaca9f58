using System.Buffers.Binary;

namespace SafeWire.Protocol.Records;

/// <summary>
/// The record header, parsed without I/O:
/// <code>
/// struct {
///     ContentType type;        // 1 byte: 21 alert, 22 handshake, 23 application_data (every encrypted record)
///     uint16 version;          // 0x5701
///     opaque session_id[16];   // zero until the ServerHello assigns one
///     uint16 length;           // body length, at most 16640
/// } RecordHeader;              // 21 bytes
/// </code>
/// </summary>
internal readonly struct RecordHeader
{
    public RecordHeader(ContentType type, ushort version, int length)
    {
        Type = type;
        Version = version;
        Length = length;
    }

    public ContentType Type { get; }

    public ushort Version { get; }

    public int Length { get; }

    /// <summary>
    /// Reads a header and checks it before any body is read or buffer sized: known type, SafeWire version,
    /// length within <see cref="ProtocolConstants.MaxCiphertext"/>. Returns false when fewer than 21 bytes are there.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out RecordHeader header)
    {
        if (buffer.Length < ProtocolConstants.RecordHeaderLength)
        {
            header = default;
            return false;
        }

        var type = (ContentType)buffer[0];
        if (type is not (ContentType.Alert or ContentType.Handshake or ContentType.ApplicationData))
        {
            throw new ProtocolException(Alert.UnexpectedMessage, $"Unknown record content type {buffer[0]}.");
        }

        ushort version = BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]);
        if (version != ProtocolConstants.Version)
        {
            throw new ProtocolException(Alert.ProtocolVersion, $"The peer speaks record version 0x{version:x4}; SafeWire 1 is 0x{ProtocolConstants.Version:x4}.");
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer[19..]);
        if (length > ProtocolConstants.MaxCiphertext)
        {
            throw new ProtocolException(Alert.RecordOverflow, $"Record of {length} bytes announced; the limit is {ProtocolConstants.MaxCiphertext}.");
        }

        header = new RecordHeader(type, version, length);
        return true;
    }

    public static ReadOnlySpan<byte> SessionId(ReadOnlySpan<byte> record) => record.Slice(3, ProtocolConstants.SessionIdLength);

    public static void Write(Span<byte> destination, ContentType type, ReadOnlySpan<byte> sessionId, int length)
    {
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], ProtocolConstants.Version);
        sessionId.CopyTo(destination.Slice(3, ProtocolConstants.SessionIdLength));
        BinaryPrimitives.WriteUInt16BigEndian(destination[19..], checked((ushort)length));
    }

    public static void SetLength(Span<byte> record, int length) => BinaryPrimitives.WriteUInt16BigEndian(record[19..], checked((ushort)length));
}
