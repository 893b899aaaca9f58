using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Protocol.Handshake;
using SafeWire.Protocol.Records;

namespace SafeWire.Tests.Support;

/// <summary>
/// Deterministic endpoints for sans-I/O tests: fixed randomness, fixed ephemeral keys (RFC 8448 §5's
/// P-256 keys), a fixed server key, and replayed signatures, so a session is byte-for-byte reproducible.
/// </summary>
internal static class DeterministicSession
{
    public const string ClientEphemeralPrivate = "ab5473467e19346ceb0a0414e41da21d4d2445bc3025afe97c4e8dc8d513da39";
    public const string ServerEphemeralPrivate = "8c510601f9765bfb8ed693449a48989859b5cfa879cb9f5443c41c5ff10634ed";

    /// <summary>The example server's fixed identity key (test/demo key, not a secret).</summary>
    public const string ServerIdentityPrivate = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";

    private static readonly MemoizingSigner s_signer = new();

    public static LocalCredential ServerCredential()
    {
        var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Convert.FromHexString(ServerIdentityPrivate) });
        return LocalCredential.FromRawKey(key);
    }

    public static HandshakeSettings Client(LocalCredential server, CipherSuite suite = CipherSuite.Aes256Gcm, Func<LocalCredential, byte[], SafeWire.Protocol.Messages.CertificateVerify>? signer = null) => new()
    {
        IsClient = true,
        CipherSuites = suite == CipherSuite.Aes256Gcm ? CipherSuites.Default : [suite],
        PeerVerifier = new TestPinnedVerifier([server.Fingerprint], TrustFailureReason.HostKeyChanged),
        ServerName = "example.safewire",
        Now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Random = CountingRandom(0xC1),
        CreateEphemeralKey = () => Ephemeral(ClientEphemeralPrivate),
        Sign = signer ?? s_signer.Sign,
    };

    public static HandshakeSettings Server(LocalCredential server, Func<LocalCredential, byte[], SafeWire.Protocol.Messages.CertificateVerify>? signer = null) => new()
    {
        IsClient = false,
        CipherSuites = CipherSuites.Default,
        Credential = server,
        Now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Random = CountingRandom(0x5E),
        CreateEphemeralKey = () => Ephemeral(ServerEphemeralPrivate),
        Sign = signer ?? s_signer.Sign,
    };

    /// <summary>Deterministic bytes: tag, tag+1, tag+2, ... (obviously not random, so a trace is easy to read).</summary>
    public static Action<Span<byte>> CountingRandom(byte tag)
    {
        byte next = tag;
        return span =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = next++;
            }
        };
    }

    public static ECDiffieHellman Ephemeral(string privateHex)
        => ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Convert.FromHexString(privateHex) });
}

/// <summary>One flight of bytes in a recorded session.</summary>
internal sealed record Segment(bool FromClient, string Label, byte[] Bytes);

/// <summary>What a receiver made of a byte stream.</summary>
internal sealed class FeedResult
{
    public MemoryStream ApplicationData { get; } = new();

    public bool CloseNotify { get; set; }

    /// <summary>Bytes left over that do not form a whole record (the stream would report truncation).</summary>
    public int Leftover { get; set; }
}

/// <summary>Drives two sans-I/O connections against each other and records every flight.</summary>
internal sealed class ConnectionPair : IDisposable
{
    public ConnectionPair(HandshakeSettings client, HandshakeSettings server)
    {
        Client = new ProtocolConnection(client);
        Server = new ProtocolConnection(server);
    }

    public ProtocolConnection Client { get; }

    public ProtocolConnection Server { get; }

    public List<Segment> Segments { get; } = [];

    public FeedResult ClientReceived { get; } = new();

    public FeedResult ServerReceived { get; } = new();

    /// <summary>Runs the handshake to completion, moving output both ways.</summary>
    public void Handshake()
    {
        for (int round = 0; round < 10 && (!Client.IsHandshakeComplete || !Server.IsHandshakeComplete || Client.HasOutput || Server.HasOutput); round++)
        {
            Pump(Client, Server, true, ServerReceived, round == 0 ? "ClientHello" : "client flight");
            Pump(Server, Client, false, ClientReceived, round == 0 ? "server flight" : "server post-handshake");
        }
    }

    public void SendApplicationData(bool fromClient, ReadOnlySpan<byte> data, string label)
    {
        var buffer = new byte[ProtocolConnection.MaxSealedOutput];
        var (sender, receiver, result) = fromClient ? (Client, Server, ServerReceived) : (Server, Client, ClientReceived);
        int n = sender.SealApplicationData(data, buffer);
        Deliver(receiver, fromClient, buffer.AsSpan(0, n).ToArray(), label, result);
    }

    public void Close(bool fromClient)
    {
        var buffer = new byte[256];
        var (sender, receiver, result) = fromClient ? (Client, Server, ServerReceived) : (Server, Client, ClientReceived);
        int n = sender.WriteAlert(Alert.CloseNotify, null, buffer);
        Deliver(receiver, fromClient, buffer.AsSpan(0, n).ToArray(), (fromClient ? "client" : "server") + " close_notify", result);
    }

    /// <summary>Deframes <paramref name="bytes"/> into records and processes each in place.</summary>
    public static void Feed(ProtocolConnection receiver, byte[] bytes, FeedResult result)
    {
        int at = 0;
        while (RecordHeader.TryRead(bytes.AsSpan(at), out var header) && bytes.Length - at >= ProtocolConstants.RecordHeaderLength + header.Length)
        {
            int length = ProtocolConstants.RecordHeaderLength + header.Length;
            var record = bytes.AsSpan(at, length).ToArray();
            at += length;
            var kind = receiver.ProcessRecord(record, out int offset, out int plain);
            if (kind == RecordKind.ApplicationData)
            {
                result.ApplicationData.Write(record, offset, plain);
            }
            else if (kind == RecordKind.CloseNotify)
            {
                result.CloseNotify = true;
            }
        }

        result.Leftover += bytes.Length - at;
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }

    private void Pump(ProtocolConnection from, ProtocolConnection to, bool fromClient, FeedResult result, string label)
    {
        if (!from.HasOutput)
        {
            return;
        }

        var bytes = from.Output.ToArray();
        from.ClearOutput();
        Deliver(to, fromClient, bytes, label, result);
    }

    private void Deliver(ProtocolConnection to, bool fromClient, byte[] bytes, string label, FeedResult result)
    {
        Segments.Add(new Segment(fromClient, label, bytes));
        Feed(to, bytes, result);
    }
}
