using System.Buffers.Binary;
using System.Net;

namespace SafeWire.Cli.Commands.Capture;

/// <summary>One TCP endpoint (address and port).</summary>
internal readonly record struct TcpEndpoint(IPAddress Address, int Port)
{
    public override string ToString() => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}

/// <summary>
/// The bytes one side of a TCP connection sent, in sequence order, with the frame that completed each stretch
/// (so a record can be placed at the frame holding its last byte).
/// </summary>
internal sealed class TcpDirection
{
    private const int MaxBuffered = 64 * 1024 * 1024;
    private readonly List<byte> _bytes = [];
    private readonly List<(long End, int Frame, DateTimeOffset Time)> _marks = [];
    private readonly SortedDictionary<uint, byte[]> _pending = [];
    private long _pendingBytes;
    private uint _next;
    private bool _started;

    public TcpDirection(TcpEndpoint from, TcpEndpoint to)
    {
        From = from;
        To = to;
    }

    public TcpEndpoint From { get; }

    public TcpEndpoint To { get; }

    /// <summary>True when bytes were missing (not captured): the stream ends at the gap.</summary>
    public bool HasGap { get; private set; }

    public byte[] Bytes => [.. _bytes];

    public long Length => _bytes.Count;

    /// <summary>The frame that carried byte <paramref name="offset"/>, and its time.</summary>
    public (int Frame, DateTimeOffset Time) FrameAt(long offset)
    {
        int low = 0;
        int high = _marks.Count - 1;
        while (low < high)
        {
            int mid = (low + high) / 2;
            if (_marks[mid].End > offset)
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return _marks.Count == 0 ? (0, DateTimeOffset.UnixEpoch) : (_marks[low].Frame, _marks[low].Time);
    }

    public void Start(uint initialSequence)
    {
        if (!_started)
        {
            _next = initialSequence;
            _started = true;
        }
    }

    public void Add(uint sequence, ReadOnlySpan<byte> payload, int frame, DateTimeOffset time)
    {
        if (payload.IsEmpty)
        {
            return;
        }

        Start(sequence);
        int behind = unchecked((int)(_next - sequence)); // TCP sequence numbers wrap: compare modulo 2^32
        if (behind > 0)
        {
            if (behind >= payload.Length)
            {
                return; // a retransmission of bytes already here
            }

            payload = payload[behind..];
            sequence = _next;
        }

        if (sequence != _next)
        {
            if (_pendingBytes + payload.Length <= MaxBuffered && !_pending.ContainsKey(sequence))
            {
                _pending[sequence] = payload.ToArray();
                _pendingBytes += payload.Length;
            }

            return;
        }

        Append(payload, frame, time);
        while (_pending.Count > 0)
        {
            var (first, bytes) = _pending.First();
            int over = unchecked((int)(_next - first));
            if (over < 0)
            {
                break;
            }

            _pending.Remove(first);
            _pendingBytes -= bytes.Length;

            if (over < bytes.Length)
            {
                Append(bytes.AsSpan(over), frame, time);
            }
        }
    }

    /// <summary>Segments still waiting for missing bytes when the capture ended mean a gap.</summary>
    public void Finish() => HasGap |= _pending.Count > 0;

    private void Append(ReadOnlySpan<byte> payload, int frame, DateTimeOffset time)
    {
        if (_bytes.Count + payload.Length > MaxBuffered)
        {
            HasGap = true;
            return;
        }

        _bytes.AddRange(payload);
        _next = unchecked(_next + (uint)payload.Length);
        _marks.Add((_bytes.Count, frame, time));
    }
}

/// <summary>A TCP connection: the side that opened it (or sent first) and the other side.</summary>
internal sealed class TcpConnection(int index, TcpDirection first, TcpDirection second)
{
    public int Index { get; } = index;

    public TcpDirection First { get; } = first;

    public TcpDirection Second { get; } = second;

    public int FirstFrame { get; set; }
}

/// <summary>Splits captured packets into TCP connections and reassembles each direction (IPv4 and IPv6 over the usual link types).</summary>
internal static class TcpStreams
{
    public static List<TcpConnection> Reassemble(IEnumerable<CapturedPacket> packets)
    {
        var open = new Dictionary<(TcpEndpoint, TcpEndpoint), (TcpConnection Connection, bool Forward)>();
        var all = new List<TcpConnection>();
        foreach (var packet in packets)
        {
            if (!TryParse(packet, out var from, out var to, out uint sequence, out byte flags, out var payload))
            {
                continue;
            }

            bool syn = (flags & 0x02) != 0;
            bool ack = (flags & 0x10) != 0;
            if (syn && !ack && open.TryGetValue((from, to), out var old) && old.Connection.First.Length + old.Connection.Second.Length > 0)
            {
                open.Remove((from, to));
                open.Remove((to, from));
            }

            if (!open.TryGetValue((from, to), out var entry))
            {
                // A SYN+ACK seen first means this packet comes from the server side.
                var forward = new TcpDirection(from, to);
                var backward = new TcpDirection(to, from);
                var connection = syn && ack
                    ? new TcpConnection(all.Count + 1, backward, forward) { FirstFrame = packet.Frame }
                    : new TcpConnection(all.Count + 1, forward, backward) { FirstFrame = packet.Frame };
                all.Add(connection);
                entry = (connection, !(syn && ack));
                open[(from, to)] = entry;
                open[(to, from)] = (connection, !entry.Forward);
            }

            var direction = entry.Forward ? entry.Connection.First : entry.Connection.Second;
            uint first = unchecked(syn ? sequence + 1 : sequence); // a SYN takes one sequence number; they wrap at 2^32
            if (syn)
            {
                direction.Start(first);
            }

            direction.Add(first, payload, packet.Frame, packet.Time);
        }

        foreach (var connection in all)
        {
            connection.First.Finish();
            connection.Second.Finish();
        }

        return all;
    }

    private static bool TryParse(CapturedPacket packet, out TcpEndpoint from, out TcpEndpoint to, out uint sequence, out byte flags, out ReadOnlySpan<byte> payload)
    {
        from = default;
        to = default;
        sequence = 0;
        flags = 0;
        payload = default;
        ReadOnlySpan<byte> data = packet.Data;
        int etherType;
        switch (packet.LinkType)
        {
            case 1: // Ethernet, with any 802.1Q tags
                if (data.Length < 14)
                {
                    return false;
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(data[12..]);
                data = data[14..];
                while (etherType is 0x8100 or 0x88A8 && data.Length >= 4)
                {
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                    data = data[4..];
                }

                break;
            case 0 or 108: // BSD loopback: 4-byte address family
                if (data.Length < 4)
                {
                    return false;
                }

                etherType = (data[0] | data[3]) == 2 ? 0x0800 : 0x86DD;
                data = data[4..];
                break;
            case 113: // Linux cooked capture
                if (data.Length < 16)
                {
                    return false;
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
                data = data[16..];
                break;
            case 276: // Linux cooked capture v2
                if (data.Length < 20)
                {
                    return false;
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(data);
                data = data[20..];
                break;
            case 12 or 14 or 101 or 228 or 229: // raw IP
                if (data.IsEmpty)
                {
                    return false;
                }

                etherType = (data[0] >> 4) == 6 ? 0x86DD : 0x0800;
                break;
            default:
                return false;
        }

        IPAddress source;
        IPAddress destination;
        ReadOnlySpan<byte> segment;
        if (etherType == 0x0800 && data.Length >= 20 && data[0] >> 4 == 4)
        {
            int headerLength = (data[0] & 0x0F) * 4;
            int total = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(data[6..]) & 0x3FFF) != 0;
            if (data[9] != 6 || fragment || headerLength < 20 || total < headerLength || total > data.Length)
            {
                return false;
            }

            source = new IPAddress(data.Slice(12, 4));
            destination = new IPAddress(data.Slice(16, 4));
            segment = data[headerLength..total];
        }
        else if (etherType == 0x86DD && data.Length >= 40 && data[0] >> 4 == 6)
        {
            int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
            if (data[6] != 6 || 40 + payloadLength > data.Length)
            {
                return false; // extension headers are not followed
            }

            source = new IPAddress(data.Slice(8, 16));
            destination = new IPAddress(data.Slice(24, 16));
            segment = data.Slice(40, payloadLength);
        }
        else
        {
            return false;
        }

        if (segment.Length < 20)
        {
            return false;
        }

        int offset = (segment[12] >> 4) * 4;
        if (offset < 20 || offset > segment.Length)
        {
            return false;
        }

        from = new TcpEndpoint(source, BinaryPrimitives.ReadUInt16BigEndian(segment));
        to = new TcpEndpoint(destination, BinaryPrimitives.ReadUInt16BigEndian(segment[2..]));
        sequence = BinaryPrimitives.ReadUInt32BigEndian(segment[4..]);
        flags = segment[13];
        payload = segment[offset..];
        return true;
    }
}
