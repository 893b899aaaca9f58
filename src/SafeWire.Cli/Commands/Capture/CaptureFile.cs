using System.Buffers.Binary;

namespace SafeWire.Cli.Commands.Capture;

/// <summary>One captured packet: its 1-based frame number, time, link-layer type and bytes.</summary>
internal sealed record CapturedPacket(int Frame, DateTimeOffset Time, int LinkType, byte[] Data);

/// <summary>
/// Reads the packets of a capture file: pcapng (what Wireshark and dumpcap write) or the classic pcap format
/// (tcpdump). Only the blocks that carry packets are read; everything else is skipped.
/// </summary>
internal static class CaptureFile
{
    private const uint PcapngSectionHeader = 0x0A0D0D0A;
    private const int MaxBlock = 16 * 1024 * 1024;

    public static List<CapturedPacket> Read(string path)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length < 4)
        {
            throw new CliException($"{path}: not a capture file (too short)");
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        return magic switch
        {
            PcapngSectionHeader => ReadPcapng(path, data),
            0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1 => ReadPcap(path, data),
            _ => throw new CliException($"{path}: not a pcapng or pcap capture file"),
        };
    }

    private static List<CapturedPacket> ReadPcap(string path, byte[] data)
    {
        if (data.Length < 24)
        {
            throw new CliException($"{path}: truncated pcap header");
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        bool little = magic is 0xA1B2C3D4 or 0xA1B23C4D;
        bool nanos = magic is 0xA1B23C4D or 0x4D3CB2A1;
        int linkType = (int)(U32(data, 20, little) & 0x0FFFFFFF);
        var packets = new List<CapturedPacket>();
        int offset = 24;
        while (offset + 16 <= data.Length)
        {
            long seconds = U32(data, offset, little);
            long fraction = U32(data, offset + 4, little);
            int captured = (int)Math.Min(U32(data, offset + 8, little), int.MaxValue);
            offset += 16;
            if (captured > data.Length - offset)
            {
                break; // a capture cut short while writing: keep what is complete
            }

            var time = DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(nanos ? fraction / 100 : fraction * 10);
            packets.Add(new CapturedPacket(packets.Count + 1, time, linkType, data.AsSpan(offset, captured).ToArray()));
            offset += captured;
        }

        return packets;
    }

    private static List<CapturedPacket> ReadPcapng(string path, byte[] data)
    {
        var packets = new List<CapturedPacket>();
        var interfaces = new List<(int LinkType, long TicksPerSecondUnit)>();
        bool little = true;
        int offset = 0;
        while (offset + 12 <= data.Length)
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));
            if (type == PcapngSectionHeader)
            {
                uint byteOrder = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 8));
                little = byteOrder switch
                {
                    0x1A2B3C4D => true,
                    0x4D3C2B1A => false,
                    _ => throw new CliException($"{path}: corrupt pcapng section header at byte {offset}"),
                };
                interfaces.Clear();
            }
            else
            {
                type = U32(data, offset, little);
            }

            int length = (int)Math.Min(U32(data, offset + 4, little), int.MaxValue);
            if (length < 12 || length % 4 != 0 || length > MaxBlock || length > data.Length - offset)
            {
                if (length >= 12 && length % 4 == 0 && length <= MaxBlock && length > data.Length - offset)
                {
                    break; // the last block was cut short while writing
                }

                throw new CliException($"{path}: corrupt pcapng block at byte {offset}");
            }

            var body = data.AsSpan(offset + 8, length - 12);
            switch (type)
            {
                case 1 when body.Length >= 8: // Interface Description Block
                    interfaces.Add((U16(body, 0, little), InterfaceResolution(body[8..], little)));
                    break;
                case 6 when body.Length >= 20: // Enhanced Packet Block
                    {
                        uint id = U32(body, 0, little);
                        ulong stamp = ((ulong)U32(body, 4, little) << 32) | U32(body, 8, little);
                        int captured = (int)Math.Min(U32(body, 12, little), int.MaxValue);
                        if (id >= (uint)interfaces.Count || captured > body.Length - 20)
                        {
                            throw new CliException($"{path}: corrupt packet block at byte {offset}");
                        }

                        var (linkType, units) = interfaces[(int)id];
                        packets.Add(new CapturedPacket(packets.Count + 1, ToTime(stamp, units), linkType, body.Slice(20, captured).ToArray()));
                        break;
                    }

                case 3 when body.Length >= 4 && interfaces.Count > 0: // Simple Packet Block: no time stamp
                    {
                        int captured = Math.Min((int)Math.Min(U32(body, 0, little), int.MaxValue), body.Length - 4);
                        packets.Add(new CapturedPacket(packets.Count + 1, DateTimeOffset.UnixEpoch, interfaces[0].LinkType, body.Slice(4, captured).ToArray()));
                        break;
                    }

                default:
                    break;
            }

            offset += length;
        }

        return packets;
    }

    /// <summary>The if_tsresol option (code 9): 10^-n or 2^-n seconds per unit; microseconds when absent.</summary>
    private static long InterfaceResolution(ReadOnlySpan<byte> options, bool little)
    {
        while (options.Length >= 4)
        {
            int code = U16(options, 0, little);
            int length = U16(options, 2, little);
            if (code == 0 || 4 + length > options.Length)
            {
                break;
            }

            if (code == 9 && length >= 1)
            {
                // Finer than nanoseconds does not occur in practice; clamp so the unit fits a long.
                byte resolution = options[4];
                double perSecond = (resolution & 0x80) != 0 ? Math.Pow(2, Math.Min(resolution & 0x7F, 60)) : Math.Pow(10, Math.Min((int)resolution, 18));
                return (long)perSecond;
            }

            options = options[Math.Min(4 + ((length + 3) & ~3), options.Length)..];
        }

        return 1_000_000;
    }

    private static DateTimeOffset ToTime(ulong stamp, long unitsPerSecond)
    {
        if (unitsPerSecond <= 0)
        {
            return DateTimeOffset.UnixEpoch;
        }

        ulong seconds = stamp / (ulong)unitsPerSecond;
        ulong fraction = stamp % (ulong)unitsPerSecond;
        if (seconds > 253_402_300_799UL - 62_135_596_800UL)
        {
            return DateTimeOffset.UnixEpoch;
        }

        return DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks((long)(fraction * (double)TimeSpan.TicksPerSecond / unitsPerSecond));
    }

    private static uint U32(ReadOnlySpan<byte> data, int offset, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]) : BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);

    private static ushort U16(ReadOnlySpan<byte> data, int offset, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(data[offset..]) : BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
}
