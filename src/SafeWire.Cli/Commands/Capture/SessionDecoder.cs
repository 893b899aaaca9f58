using System.Buffers.Binary;
using SafeWire.Protocol;
using SafeWire.Protocol.Records;

namespace SafeWire.Cli.Commands.Capture;

/// <summary>How a record travelled: in clear, or under which traffic keys.</summary>
internal enum RecordKeys : byte
{
    Plaintext = 0,
    Handshake = 1,
    Application = 2,
    /// <summary>Encrypted, and not opened (no secret in the key log, or it did not authenticate).</summary>
    Unopened = 3,
}

/// <summary>One record of a captured SafeWire session, opened where the key log allows.</summary>
internal sealed record SessionRecord(
    TcpConnection Connection,
    bool FromClient,
    int Frame,
    DateTimeOffset Time,
    byte OuterType,
    byte[] SessionId,
    int WireLength,
    RecordKeys Keys,
    int KeyGeneration,
    ulong Sequence,
    byte ContentType,
    byte[] Content);

/// <summary>A SafeWire session found in a capture: its records, suite, client random and what could not be opened.</summary>
internal sealed class CapturedSession
{
    public required TcpConnection Connection { get; init; }

    public required TcpDirection Client { get; init; }

    public required TcpDirection Server { get; init; }

    public byte[] ClientRandom { get; set; } = [];

    public CipherSuite? Suite { get; set; }

    public List<SessionRecord> Records { get; } = [];

    public List<string> Problems { get; } = [];
}

/// <summary>
/// Finds SafeWire sessions in reassembled TCP connections and opens their records with a key log, direction by
/// direction, following the protocol's key changes: handshake keys after the ServerHello, application keys after
/// each side's Finished, one ratchet step after each KeyUpdate.
/// </summary>
internal static class SessionDecoder
{
    private const int Header = 21;
    private const ushort Version = 0x5701;

    public static List<CapturedSession> Decode(IEnumerable<TcpConnection> connections, KeyLog keyLog)
    {
        var sessions = new List<CapturedSession>();
        foreach (var connection in connections)
        {
            var (client, server) = StartsWithClientHello(connection.First.Bytes) ? (connection.First, connection.Second)
                : StartsWithClientHello(connection.Second.Bytes) ? (connection.Second, connection.First)
                : (null, null);
            if (client is null || server is null)
            {
                continue;
            }

            var session = new CapturedSession { Connection = connection, Client = client, Server = server };
            var clientRecords = Split(session, client, fromClient: true);
            var serverRecords = Split(session, server, fromClient: false);
            FindHellos(session, clientRecords, serverRecords);
            session.Records.AddRange(Open(session, clientRecords, keyLog, fromClient: true));
            session.Records.AddRange(Open(session, serverRecords, keyLog, fromClient: false));
            session.Records.Sort((a, b) => a.Frame != b.Frame ? a.Frame.CompareTo(b.Frame) : b.FromClient.CompareTo(a.FromClient));
            sessions.Add(session);
        }

        return sessions;
    }

    private static bool StartsWithClientHello(byte[] stream) =>
        stream.Length > Header + 4 && stream[0] == 22 && BinaryPrimitives.ReadUInt16BigEndian(stream.AsSpan(1)) == Version && stream[Header] == 1;

    /// <summary>Cuts a direction into whole records, checking each header as a receiver would.</summary>
    private static List<(byte[] Record, int Frame, DateTimeOffset Time)> Split(CapturedSession session, TcpDirection direction, bool fromClient)
    {
        var records = new List<(byte[], int, DateTimeOffset)>();
        var bytes = direction.Bytes;
        int offset = 0;
        var side = fromClient ? "client" : "server";
        while (bytes.Length - offset >= Header)
        {
            byte type = bytes[offset];
            ushort version = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset + 1));
            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset + 19));
            if (type is < 21 or > 23 || version != Version || length > 16640)
            {
                session.Problems.Add($"the {side}'s byte stream has no valid SafeWire record header at byte {offset} (type {type}, version 0x{version:x4}, length {length}); the rest of it is skipped");
                return records;
            }

            if (bytes.Length - offset < Header + length)
            {
                break;
            }

            var (frame, time) = direction.FrameAt(offset + Header + length - 1);
            records.Add((bytes.AsSpan(offset, Header + length).ToArray(), frame, time));
            offset += Header + length;
        }

        if (offset < bytes.Length || direction.HasGap)
        {
            session.Problems.Add($"the {side}'s byte stream ends with an incomplete record (bytes missing from the capture)");
        }

        return records;
    }

    private static void FindHellos(CapturedSession session, List<(byte[] Record, int, DateTimeOffset)> clientRecords, List<(byte[] Record, int, DateTimeOffset)> serverRecords)
    {
        var hello = clientRecords.Count > 0 ? clientRecords[0].Record : [];
        if (hello.Length >= Header + 4 + 2 + 32)
        {
            session.ClientRandom = hello.AsSpan(Header + 4 + 2, 32).ToArray();
        }

        foreach (var (record, _, _) in serverRecords)
        {
            if (record[0] == 22 && record.Length >= Header + 4 + 2 + 32 + 2 && record[Header] == 2)
            {
                ushort code = BinaryPrimitives.ReadUInt16BigEndian(record.AsSpan(Header + 4 + 2 + 32));
                if (Enum.IsDefined((CipherSuite)code))
                {
                    session.Suite = (CipherSuite)code;
                }
                else
                {
                    session.Problems.Add($"the ServerHello chose the unknown suite 0x{code:x4}");
                }

                return;
            }

            if (record[0] == 23)
            {
                break;
            }
        }
    }

    private static List<SessionRecord> Open(CapturedSession session, List<(byte[] Record, int Frame, DateTimeOffset Time)> records, KeyLog keyLog, bool fromClient)
    {
        var side = fromClient ? "CLIENT" : "SERVER";
        var opened = new List<SessionRecord>();
        var handshakeSecret = keyLog.Find($"{side}_HANDSHAKE_TRAFFIC_SECRET", session.ClientRandom);
        var applicationSecret = keyLog.Find($"{side}_TRAFFIC_SECRET_0", session.ClientRandom);
        RecordDecryptor? decryptor = null;
        var keys = RecordKeys.Plaintext;
        bool failed = false;
        var messages = new HandshakeBuffer();
        try
        {
            foreach (var (record, frame, time) in records)
            {
                var sessionId = record.AsSpan(3, 16).ToArray();
                if (record[0] != 23)
                {
                    opened.Add(new SessionRecord(session.Connection, fromClient, frame, time, record[0], sessionId, record.Length, RecordKeys.Plaintext, 0, 0, record[0], record[Header..]));
                    continue;
                }

                if (keys == RecordKeys.Plaintext)
                {
                    keys = RecordKeys.Handshake;
                    if (session.Suite is { } suite && handshakeSecret is not null)
                    {
                        decryptor = RecordDecryptor.ForHandshake(suite, handshakeSecret);
                    }
                    else if (!failed)
                    {
                        failed = true;
                        session.Problems.Add(session.Suite is null
                            ? "no ServerHello with a known suite: the encrypted records cannot be opened"
                            : $"the key log has no {side}_HANDSHAKE_TRAFFIC_SECRET for client random {Convert.ToHexStringLower(session.ClientRandom)}");
                    }
                }

                var result = failed ? null : decryptor?.Open(record);
                if (result is null)
                {
                    if (!failed)
                    {
                        failed = true;
                        session.Problems.Add($"frame {frame}: a {side.ToLowerInvariant()} record does not authenticate with the key log's {(keys == RecordKeys.Handshake ? "handshake" : "application")} secret; later records in this direction are not opened");
                    }

                    opened.Add(new SessionRecord(session.Connection, fromClient, frame, time, record[0], sessionId, record.Length, RecordKeys.Unopened, 0, 0, 23, record[Header..]));
                    continue;
                }

                opened.Add(new SessionRecord(session.Connection, fromClient, frame, time, record[0], sessionId, record.Length, keys, decryptor!.KeyGeneration, result.Sequence, result.ContentType, result.Content));
                if (result.ContentType != 22)
                {
                    continue;
                }

                foreach (var type in messages.Add(result.Content))
                {
                    if (type == 20 && keys == RecordKeys.Handshake)
                    {
                        decryptor?.Dispose();
                        decryptor = null;
                        keys = RecordKeys.Application;
                        if (applicationSecret is null)
                        {
                            failed = true;
                            session.Problems.Add($"the key log has no {side}_TRAFFIC_SECRET_0 for client random {Convert.ToHexStringLower(session.ClientRandom)}");
                        }
                        else
                        {
                            decryptor = RecordDecryptor.ForApplication(session.Suite!.Value, applicationSecret);
                        }
                    }
                    else if (type == 24 && keys == RecordKeys.Application)
                    {
                        decryptor?.UpdateKey();
                    }
                }
            }
        }
        finally
        {
            decryptor?.Dispose();
        }

        return opened;
    }

    /// <summary>Collects handshake messages across records (a message may span records); yields each complete message's type.</summary>
    private sealed class HandshakeBuffer
    {
        private readonly List<byte> _pending = [];

        public List<byte> Add(byte[] content)
        {
            _pending.AddRange(content);
            var types = new List<byte>();
            while (_pending.Count >= 4)
            {
                int length = (_pending[1] << 16) | (_pending[2] << 8) | _pending[3];
                if (_pending.Count < 4 + length)
                {
                    break;
                }

                types.Add(_pending[0]);
                _pending.RemoveRange(0, 4 + length);
            }

            return types;
        }
    }
}
