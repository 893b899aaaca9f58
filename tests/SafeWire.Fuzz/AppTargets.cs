using SafeWire.Framing;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SafeWire.Chat.Wire;
using SafeWire.Files.Ftp;
using SafeWire.Files.Storage;
using SafeWire.Files.Transfer;
using SafeWire.KeyDistribution.Wire;
using ChatRefusal = SafeWire.Chat.Wire.RefusalReason;
using ChatWelcome = SafeWire.Chat.Wire.WelcomeMessage;
using KmRefusal = SafeWire.KeyDistribution.Wire.RefusalReason;
using KmWelcome = SafeWire.KeyDistribution.Wire.WelcomeMessage;
using SafeWire.Voting;
using SafeWire.Voting.Protocol;

namespace SafeWire.Fuzz;

/// <summary>Helpers for the stream-based targets: in-memory streams complete synchronously, so async code runs inline.</summary>
internal static class Inline
{
    public static T Run<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    public static void Run(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }

    public static void Run(Task task) => task.GetAwaiter().GetResult();

    /// <summary><c>u32 length (type + payload) | u8 type | payload</c>: the files and key-distribution frame.</summary>
    public static byte[] LengthTypeFrame(byte type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(payload.Length + 1));
        frame[4] = type;
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }
}

/// <summary>Reads the input and throws away what the target writes back; every read is one step.</summary>
internal sealed class InputStream(byte[] input, StepCounter steps) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        steps.Step();
        int n = Math.Min(buffer.Length, input.Length - _position);
        input.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Write(byte[] buffer, int offset, int count)
    {
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Chat frames as a server or client reads them (<see cref="ChatFramer"/>, then the frame table).</summary>
public sealed class ChatFramesTarget : FuzzTarget
{
    private static readonly DateTimeOffset s_time = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);

    public override string Name => "chat-frames";

    public override IReadOnlyList<byte[]> Seeds { get; } = Build();

    // One frame payload is at most 64 KiB (pooled); decoding allocates the message and its strings.
    public override long AllocationLimit(int inputLength) => (512L * 1024) + (16L * inputLength);

    public override void Run(byte[] input, StepCounter steps)
    {
        var framer = new ChatFramer(new InputStream(input, steps));
        while (Inline.Run(framer.ReadAsync(CancellationToken.None)) is not null)
        {
        }
    }

    public override bool IsTypedError(Exception exception) => exception is ChatProtocolException;

    private static byte[][] Build()
    {
        var alice = new ChatMember(1, "alice", "SHA256:Wnp4zKSg9CDZvGK7Zpw8J1njn3I9OuENy+DwgVoH7NQ");
        ChatMessage[] messages =
        [
            new HelloMessage("alice"),
            new ChatWelcome(1, "alice", "server", 2, [alice, new ChatMember(2, "bob", "")]),
            new RefusedMessage(ChatRefusal.ServerFull, "server full"),
            new HopOfferMessage(40000),
            new HopProofMessage(new byte[ChatLimits.HopProofLength]),
            new ChatTextMessage(7, "hello, wörld"),
            new AckMessage(7, 3),
            new RelayedMessage(1, "alice", s_time, "hi"),
            new BroadcastMessage(s_time, "maintenance"),
            new WhoMessage(),
            new WhoListMessage(1, [alice]),
            new MemberJoinedMessage(alice),
            new MemberLeftMessage(alice, "bye"),
            new NoticeMessage("notice"),
            new DirectDataMessage(2, 1, true, new byte[] { 1, 2, 3, 4 }),
            new DirectCloseMessage(2, 1, false, "done"),
            new KickedMessage("kicked"),
            new ServerStoppingMessage("stopping"),
            new ByeMessage(),
        ];
        var frames = messages.Select(ChatFrameCodec.Encode).ToList();
        return [.. frames, [.. frames.SelectMany(f => f)]];
    }
}

/// <summary>
/// The SafeWire file server behind the secure channel: request frames from a client, served from a scratch root
/// (emptied every few hundred inputs), with every reply thrown away.
/// </summary>
public sealed class FilesServerTarget : FuzzTarget, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("safewire-fuzz-files-").FullName;
    private readonly FileServer _server;
    private int _runs;

    public FilesServerTarget()
    {
        File.WriteAllText(Path.Combine(_root, "a.txt"), "hello");
        _server = new FileServer(new FileServerOptions { Root = _root });
    }

    public override string Name => "files-server";

    public override IReadOnlyList<byte[]> Seeds { get; } = Build();

    // Fixed per connection, whatever the peer sends: the channel's 1 MiB receive and 1 MiB send buffer
    // (FileChannel.MaxFrame), the data pump's 4 buffers of 1 MiB and the file writer's buffers for a transfer.
    public override long AllocationLimit(int inputLength) => (16L * 1024 * 1024) + (16L * inputLength);

    public override void Run(byte[] input, StepCounter steps)
    {
        if (++_runs % 500 == 0)
        {
            Reset();
        }

        Inline.Run(_server.ServeAsync(new InputStream(input, steps), null, CancellationToken.None));
    }

    public override bool IsTypedError(Exception exception) => exception is IOException or PathRejectedException or UnauthorizedAccessException;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Reset()
    {
        foreach (var entry in new DirectoryInfo(_root).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            if (entry is DirectoryInfo directory)
            {
                directory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }

        File.WriteAllText(Path.Combine(_root, "a.txt"), "hello");
    }

    private static byte[] Path16(string path, params byte[][] more)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        var payload = new List<byte> { (byte)(bytes.Length >> 8), (byte)bytes.Length };
        payload.AddRange(bytes);
        foreach (var m in more)
        {
            payload.AddRange(m);
        }

        return [.. payload];
    }

    private static byte[] I64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    private static byte[][] Build()
    {
        var data = "world"u8.ToArray();
        byte[][] frames =
        [
            Inline.LengthTypeFrame((byte)FileMessageType.List, Path16("/")),
            Inline.LengthTypeFrame((byte)FileMessageType.Stat, Path16("a.txt")),
            Inline.LengthTypeFrame((byte)FileMessageType.Get, Path16("a.txt", I64(0), SHA256.HashData(ReadOnlySpan<byte>.Empty))),
            Inline.LengthTypeFrame((byte)FileMessageType.MakeDirectory, Path16("dir")),
            Inline.LengthTypeFrame((byte)FileMessageType.Delete, Path16("dir")),
        ];
        byte[] put =
        [
            .. Inline.LengthTypeFrame((byte)FileMessageType.Put, Path16("b.txt", I64(data.Length))),
            .. Inline.LengthTypeFrame((byte)FileMessageType.PutFrom, I64(0)),
            .. Inline.LengthTypeFrame((byte)FileMessageType.Data, data),
            .. Inline.LengthTypeFrame((byte)FileMessageType.End, SHA256.HashData(data)),
        ];
        return [.. frames, put, [.. frames.SelectMany(f => f), .. put]];
    }
}

/// <summary>Key-distribution frames (<see cref="KdConnection"/>) and every key-manager message decoder.</summary>
public sealed class KmFramesTarget : FuzzTarget
{
    public override string Name => "km-frames";

    public override IReadOnlyList<byte[]> Seeds { get; } = Build();

    // KdConnection rents an 80 KiB receive and send buffer; decoders allocate their fields.
    public override long AllocationLimit(int inputLength) => (512L * 1024) + (16L * inputLength);

    public override void Run(byte[] input, StepCounter steps)
    {
        var connection = new KdConnection(new InputStream(input, steps));
        try
        {
            while (true)
            {
                var frame = Inline.Run(connection.ReadAsync(CancellationToken.None));
                Decode(frame);
            }
        }
        finally
        {
            Inline.Run(connection.DisposeAsync());
        }
    }

    public override bool IsTypedError(Exception exception) => exception is KdException;

    private static void Decode(KdFrame frame)
    {
        switch (frame.Type)
        {
            case KdMessageType.ClientHello: KmCodec.ReadClientHello(frame); break;
            case KdMessageType.Welcome: KmCodec.ReadWelcome(frame); break;
            case KdMessageType.PeerList: KmCodec.ReadPeerList(frame); break;
            case KdMessageType.Conn: KmCodec.ReadConn(frame); break;
            case KdMessageType.Paired: PairedMessage.Read(frame); break;
            case KdMessageType.FetchKeys or KdMessageType.Listen: KmCodec.ReadTransferId(frame); break;
            case KdMessageType.KeyGrant: TransferKeys.Read(frame).Dispose(); break;
            case KdMessageType.Confirm: KmCodec.ReadConfirm(frame); break;
            case KdMessageType.Listening: KmCodec.ReadListening(frame); break;
            case KdMessageType.ConnectTo: KmCodec.ReadConnectTo(frame); break;
            case KdMessageType.Report: ReportMessage.Read(frame); break;
            case KdMessageType.Verdict: VerdictMessage.Read(frame); break;
            case KdMessageType.Refused: KmCodec.ReadRefused(frame); break;
            default: KdConnection.ReadReason(frame); break;
        }
    }

    private static byte[] Frame(KdMessageType type, Action<FieldWriter> build)
    {
        var writer = new FieldWriter();
        build(writer);
        return Inline.LengthTypeFrame((byte)type, writer.Written);
    }

    private static byte[][] Build()
    {
        var id = new TransferId(UInt128.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture));
        var time = new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);
        byte[][] frames =
        [
            Frame(KdMessageType.ClientHello, w => KmCodec.WriteClientHello(w, "alice")),
            Frame(KdMessageType.Welcome, w => KmCodec.WriteWelcome(w, new KmWelcome(1, "alice", "SHA256:x", "hi"))),
            Frame(KdMessageType.PeerList, w => KmCodec.WritePeerList(w, [new PeerEntry(2, "bob", "SHA256:y")])),
            Frame(KdMessageType.Conn, w => KmCodec.WriteConn(w, "bob", TransferMode.Cbc)),
            Frame(KdMessageType.Paired, w => new PairedMessage(id, TransferMode.Cfb, TransferRole.Sender, 2, "bob", "SHA256:y", time).Write(w)),
            Frame(KdMessageType.FetchKeys, w => KmCodec.WriteTransferId(w, id)),
            Frame(KdMessageType.Confirm, w => KmCodec.WriteConfirm(w, id, new byte[32])),
            Frame(KdMessageType.Listening, w => KmCodec.WriteListening(w, id, "127.0.0.1", 4000)),
            Frame(KdMessageType.ConnectTo, w => KmCodec.WriteConnectTo(w, new ConnectToMessage(id, "127.0.0.1", 4000))),
            Frame(KdMessageType.Report, w => new ReportMessage(id, true, 3, 3000, 1, "ok").Write(w)),
            Frame(KdMessageType.Verdict, w => new VerdictMessage(id, VerdictKind.Match, 3, 3, "ok").Write(w)),
            Frame(KdMessageType.Refused, w => KmCodec.WriteRefused(w, KmRefusal.NoSuchPeer, "no such peer")),
        ];
        return [.. frames, [.. frames.SelectMany(f => f)]];
    }
}

/// <summary>Voting messages (<see cref="VoteChannel"/>, then each message's decoder).</summary>
public sealed class VoteFramesTarget : FuzzTarget
{
    public override string Name => "vote-frames";

    public override IReadOnlyList<byte[]> Seeds { get; } = Build();

    // VoteChannel rents a 64 KiB buffer; a board batch is at most 200 entries.
    public override long AllocationLimit(int inputLength) => (512L * 1024) + (16L * inputLength);

    public override void Run(byte[] input, StepCounter steps)
    {
        using var channel = new VoteChannel(new InputStream(input, steps));
        while (Inline.Run(channel.ReceiveAsync(CancellationToken.None)) is { } message)
        {
            var payload = message.Payload.Span;
            switch (message.Type)
            {
                case VoteMessageType.VoterId: VoterIdMessage.Decode(payload); break;
                case VoteMessageType.Challenge: ChallengeMessage.Decode(payload); break;
                case VoteMessageType.SealedBallot: SealedBallot.Decode(payload); break;
                case VoteMessageType.No: NoMessage.Decode(payload); break;
                case VoteMessageType.Yes: SealedYes.Decode(payload); break;
                case VoteMessageType.BoardRequest: BoardRequestMessage.Decode(payload); break;
                case VoteMessageType.BoardEntries: BoardMessages.DecodeEntries(payload); break;
                case VoteMessageType.BoardEnd: BoardMessages.DecodeEnd(payload); break;
                default: break;
            }
        }
    }

    public override bool IsTypedError(Exception exception) => exception is VoteProtocolException;

    private static byte[] Frame(VoteMessageType type, byte[] payload) =>
        [(byte)type, (byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];

    private static byte[][] Build()
    {
        var hash = new byte[32];
        var entry = new BoardEntry(1, BoardEntryKind.Cast, 0, hash, 1_765_000_000_000, hash, hash, new byte[64]);
        byte[][] frames =
        [
            Frame(VoteMessageType.VoterId, new VoterIdMessage("voter-1").Encode()),
            Frame(VoteMessageType.Challenge, new ChallengeMessage(new byte[BallotCrypto.ExchangeIdSize], new byte[BallotCrypto.NonceSize], "election", 3, 5).Encode()),
            Frame(VoteMessageType.SealedBallot, new SealedBallot(new byte[16], new byte[256], new byte[12], new byte[40], new byte[16]).Encode()),
            Frame(VoteMessageType.No, new NoMessage(VoteRefusal.NotRegistered, "not registered").Encode()),
            Frame(VoteMessageType.Yes, new SealedYes(new byte[12], new byte[100], new byte[16]).Encode()),
            Frame(VoteMessageType.Ok, []),
            Frame(VoteMessageType.BoardRequest, new BoardRequestMessage("election").Encode()),
            Frame(VoteMessageType.BoardEntries, BoardMessages.EncodeEntries([entry, entry with { Sequence = 2, Kind = BoardEntryKind.Replace, Replaces = 1 }])),
            Frame(VoteMessageType.BoardEnd, BoardMessages.EncodeEnd("election", 2)),
        ];
        return [.. frames, [.. frames.SelectMany(f => f)]];
    }
}

/// <summary>FTP control lines: the line reader (fixed buffer), the command parser and the session rules.</summary>
public sealed class FtpCommandsTarget : FuzzTarget
{
    private const int MaxLine = 512;

    public override string Name => "ftp-commands";

    public override IReadOnlyList<byte[]> Seeds { get; } =
    [
        .. new[] { "USER alice", "PASS secret", "AUTH TLS", "PBSZ 0", "PROT P", "FEAT", "OPTS UTF8 ON", "SYST", "PWD", "CWD /dir", "TYPE I",
            "EPSV", "PASV", "LIST -la", "MLSD", "RETR a.txt", "STOR b.txt", "APPE b.txt", "REST 100", "SIZE a.txt", "MDTM a.txt", "DELE a.txt",
            "MKD d", "RMD d", "RNFR a", "RNTO b", "NOOP", "QUIT", "STAT", "HELP SITE", "EPRT |1|127.0.0.1|4000|", "ABOR" }
            .Select(l => Encoding.UTF8.GetBytes(l + "\r\n")),
        Encoding.UTF8.GetBytes("USER alice\r\nPASS secret\r\nPWD\r\nCWD /\r\nTYPE I\r\nEPSV\r\nRETR a.txt\r\nQUIT\r\n"),
    ];

    public override long AllocationLimit(int inputLength) => (64L * 1024) + (32L * inputLength);

    public override void Run(byte[] input, StepCounter steps)
    {
        var reader = new FtpLineReader(new InputStream(input, steps), MaxLine);
        while (true)
        {
            var status = Inline.Run(reader.ReadLineAsync(CancellationToken.None));
            if (status == FtpLineStatus.EndOfStream)
            {
                return;
            }

            if (status != FtpLineStatus.Line)
            {
                continue;
            }

            var parsed = FtpCommands.Parse(reader.Line.Span);
            if (parsed.Request is { } request)
            {
                foreach (var state in Enum.GetValues<FtpLoginState>())
                {
                    FtpSessionRules.Check(request.Command, state, secured: true, plainAllowed: false, readOnly: false);
                }
            }
        }
    }

    public override bool IsTypedError(Exception exception) => false;
}
