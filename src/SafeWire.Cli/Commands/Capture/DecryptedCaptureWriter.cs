using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace SafeWire.Cli.Commands.Capture;

/// <summary>
/// Writes the opened records as a pcapng capture that Wireshark shows with the SafeWire dissector
/// (tools/wireshark/safewire.lua): link type "Wireshark upper PDU" (252), whose tags name the dissector
/// <c>safewire_plain</c>, the original addresses, ports and frame number. Each packet is one record:
/// <code>
/// uint8  direction;        // 0 client -> server, 1 server -> client
/// uint8  keys;             // 0 plaintext, 1 handshake keys, 2 application keys, 3 encrypted and not opened
/// uint8  key_generation;   // key updates so far in this direction
/// uint8  content_type;     // the real (inner) content type: 21 alert, 22 handshake, 23 application data
/// uint64 sequence;         // the record's sequence number under its key
/// uint32 original_frame;   // frame of the original capture holding the record's last byte
/// opaque session_id[16];
/// opaque content[];        // the decrypted content (the record body when not opened)
/// </code>
/// </summary>
internal static class DecryptedCaptureWriter
{
    public const string DissectorName = "safewire_plain";
    public const int PseudoHeaderLength = 32;
    private const int LinkTypeUpperPdu = 252;

    public static void Write(string path, IReadOnlyList<SessionRecord> records)
    {
        var temporary = path + ".tmp";
        try
        {
            WriteTo(temporary, records);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static void WriteTo(string temporary, IReadOnlyList<SessionRecord> records)
    {
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            // Section header block: byte-order magic, version 1.0, section length unknown (-1).
            Span<byte> section = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(section, 0x1A2B3C4D);
            BinaryPrimitives.WriteUInt16LittleEndian(section[4..], 1);
            BinaryPrimitives.WriteUInt16LittleEndian(section[6..], 0);
            BinaryPrimitives.WriteInt64LittleEndian(section[8..], -1);
            WriteBlock(file, 0x0A0D0D0A, section);

            // Interface description block: link type, reserved, snap length 0 (no limit).
            Span<byte> description = stackalloc byte[8];
            description.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(description, LinkTypeUpperPdu);
            WriteBlock(file, 1, description);

            foreach (var record in records)
            {
                var packet = Packet(record);
                var block = new byte[20 + ((packet.Length + 3) & ~3)];
                long micros = (record.Time - DateTimeOffset.UnixEpoch).Ticks / 10;
                BinaryPrimitives.WriteUInt32LittleEndian(block, 0);
                BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(4), unchecked((uint)(micros >> 32)));
                BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(8), unchecked((uint)micros));
                BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(12), (uint)packet.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(16), (uint)packet.Length);
                packet.CopyTo(block.AsSpan(20));
                WriteBlock(file, 6, block);
            }
        }
    }

    private static byte[] Packet(SessionRecord record)
    {
        var from = record.FromClient ? record.Connection.First : record.Connection.Second;
        var tags = new MemoryStream();
        var name = Encoding.ASCII.GetBytes(DissectorName);
        Tag(tags, 12, name, pad: true); // EXP_PDU_TAG_DISSECTOR_NAME
        bool v4 = from.From.Address.AddressFamily == AddressFamily.InterNetwork;
        Tag(tags, v4 ? (ushort)20 : (ushort)22, from.From.Address.GetAddressBytes()); // source address
        Tag(tags, v4 ? (ushort)21 : (ushort)23, from.To.Address.GetAddressBytes()); // destination address
        Tag(tags, 24, U32(2)); // port type: TCP
        Tag(tags, 25, U32((uint)from.From.Port));
        Tag(tags, 26, U32((uint)from.To.Port));
        Tag(tags, 30, U32((uint)record.Frame)); // original frame number
        Tag(tags, 0, []);

        var header = new byte[PseudoHeaderLength];
        header[0] = record.FromClient ? (byte)0 : (byte)1;
        header[1] = (byte)record.Keys;
        header[2] = (byte)Math.Min(record.KeyGeneration, 255);
        header[3] = record.ContentType;
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(4), record.Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), (uint)record.Frame);
        record.SessionId.CopyTo(header.AsSpan(16));
        return [.. tags.ToArray(), .. header, .. record.Content];
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static void Tag(MemoryStream stream, ushort tag, byte[] value, bool pad = false)
    {
        int length = pad ? (value.Length + 3) & ~3 : value.Length;
        Span<byte> head = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(head, tag);
        BinaryPrimitives.WriteUInt16BigEndian(head[2..], (ushort)length);
        stream.Write(head);
        stream.Write(value);
        for (int i = value.Length; i < length; i++)
        {
            stream.WriteByte(0);
        }
    }

    private static void WriteBlock(Stream stream, uint type, ReadOnlySpan<byte> body)
    {
        int total = 12 + ((body.Length + 3) & ~3);
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(head, type);
        BinaryPrimitives.WriteUInt32LittleEndian(head[4..], (uint)total);
        stream.Write(head);
        stream.Write(body);
        for (int i = body.Length; i < total - 12; i++)
        {
            stream.WriteByte(0);
        }

        stream.Write(head[4..]);
    }
}
