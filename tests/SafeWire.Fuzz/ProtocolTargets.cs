using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Protocol.Handshake;
using SafeWire.Protocol.KeySchedule;
using SafeWire.Protocol.Messages;
using SafeWire.Protocol.Records;

namespace SafeWire.Fuzz;

/// <summary>
/// Fixed endpoints for the sans-I/O protocol targets: fixed randomness and ephemeral keys (RFC 8448's P-256 test
/// keys), so every input meets exactly the same handshake state; CertificateVerify signatures are made once per
/// process and replayed.
/// </summary>
internal static class Endpoints
{
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const string ClientEphemeral = "ab5473467e19346ceb0a0414e41da21d4d2445bc3025afe97c4e8dc8d513da39";
    private const string ServerEphemeral = "8c510601f9765bfb8ed693449a48989859b5cfa879cb9f5443c41c5ff10634ed";
    private const string ServerIdentity = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
    private const string ClientIdentity = "0f3d5b1a2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f701";
    private static readonly Dictionary<string, CertificateVerify> s_signatures = [];

    public static LocalCredential ServerKey { get; } = LocalCredential.FromRawKey(Key(ServerIdentity));

    /// <summary>A client with a self-signed certificate (so the server parses X.509).</summary>
    public static LocalCredential ClientCertificate { get; } = SelfSigned(Key(ClientIdentity));

    public static HandshakeSettings Server(bool requestClientCredential = true) => new()
    {
        IsClient = false,
        CipherSuites = CipherSuites.Default,
        Credential = ServerKey,
        PeerVerifier = requestClientCredential ? new AnyKey() : null,
        Now = Now,
        Random = Counting(0x5E),
        CreateEphemeralKey = () => Ephemeral(ServerEphemeral),
        Sign = Sign,
    };

    public static HandshakeSettings Client(CipherSuite[] suites, LocalCredential? credential, IHandshakeObserver? observer = null) => new()
    {
        IsClient = true,
        CipherSuites = suites,
        Credential = credential,
        PeerVerifier = new AnyKey(),
        ServerName = "fuzz.safewire",
        Now = Now,
        Random = Counting(0xC1),
        CreateEphemeralKey = () => Ephemeral(ClientEphemeral),
        Sign = Sign,
        Observer = observer,
    };

    public static CertificateVerify Sign(LocalCredential credential, byte[] content)
    {
        lock (s_signatures)
        {
            var key = Convert.ToHexString(SHA256.HashData(content));
            if (!s_signatures.TryGetValue(key, out var signature))
            {
                signature = HandshakeCrypto.Sign(credential, content);
                s_signatures[key] = signature;
            }

            return signature;
        }
    }

    private static Action<Span<byte>> Counting(byte tag)
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

    private static ECDsa Key(string hex) => ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Convert.FromHexString(hex) });

    private static ECDiffieHellman Ephemeral(string hex) => ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Convert.FromHexString(hex) });

    private static LocalCredential SelfSigned(ECDsa key)
    {
        var request = new CertificateRequest("CN=fuzz client", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(1));
        return LocalCredential.FromCertificate(X509CertificateLoader.LoadCertificate(certificate.RawData), key);
    }

    /// <summary>Trusts every key: only the handshake's own checks decide (the chat server's open admission).</summary>
    private sealed class AnyKey : IPeerVerifier
    {
        public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
        {
            var fingerprint = Fingerprint.Of(credential.SubjectPublicKeyInfo);
            return new PeerIdentity(fingerprint, fingerprint, credential.SubjectPublicKeyInfo, null);
        }
    }
}

/// <summary>A recorded session: each side's bytes, the handshake messages each side sent, and the handshake secrets.</summary>
internal sealed class Recording : IHandshakeObserver
{
    public List<byte> ClientBytes { get; } = [];

    public List<byte> ServerBytes { get; } = [];

    public List<byte[]> ClientSent { get; } = [];

    public Dictionary<string, byte[]> Secrets { get; } = [];

    public byte[] ClientHelloRecord { get; private set; } = [];

    public byte[] ServerHelloRecord { get; private set; } = [];

    public byte[] SessionId { get; private set; } = [];

    public CipherSuite Suite { get; private set; }

    public List<byte[]> ServerMessagesAfterHello { get; } = [];

    public static Recording Make(CipherSuite[] suites, LocalCredential? clientCredential, bool requestClientCredential)
    {
        var recording = new Recording();
        var serverMessages = new List<byte[]>();
        var serverSettings = Endpoints.Server(requestClientCredential);
        var server = new ProtocolConnection(new HandshakeSettings
        {
            IsClient = false,
            CipherSuites = serverSettings.CipherSuites,
            Credential = serverSettings.Credential,
            PeerVerifier = serverSettings.PeerVerifier,
            Now = serverSettings.Now,
            Random = serverSettings.Random,
            CreateEphemeralKey = serverSettings.CreateEphemeralKey,
            Sign = serverSettings.Sign,
            RewriteOutgoing = m =>
            {
                serverMessages.Add(m);
                return m;
            },
        });
        using (server)
        using (var client = new ProtocolConnection(Endpoints.Client(suites, clientCredential, recording)))
        {
            var hello = client.Output.ToArray();
            client.ClearOutput();
            recording.ClientHelloRecord = hello;
            recording.ClientBytes.AddRange(hello);
            Feed(server, hello);
            var flight = server.Output.ToArray();
            server.ClearOutput();
            recording.ServerBytes.AddRange(flight);
            int helloLength = ProtocolConstants.RecordHeaderLength + ((flight[19] << 8) | flight[20]);
            recording.ServerHelloRecord = flight[..helloLength];
            recording.SessionId = flight.AsSpan(helloLength + 3, ProtocolConstants.SessionIdLength).ToArray();
            Feed(client, flight);
            var clientFlight = client.Output.ToArray();
            client.ClearOutput();
            recording.ClientBytes.AddRange(clientFlight);
            Feed(server, clientFlight);
            recording.Suite = server.Result!.Suite;
            if (server.HasOutput)
            {
                var ticket = server.Output.ToArray();
                server.ClearOutput();
                recording.ServerBytes.AddRange(ticket);
            }

            var buffer = new byte[ProtocolConnection.MaxSealedOutput];
            int n = client.SealApplicationData("ping"u8, buffer);
            recording.ClientBytes.AddRange(buffer.AsSpan(0, n).ToArray());
            n = server.SealApplicationData("pong"u8, buffer);
            recording.ServerBytes.AddRange(buffer.AsSpan(0, n).ToArray());
            n = client.WriteAlert(Alert.CloseNotify, null, buffer);
            recording.ClientBytes.AddRange(buffer.AsSpan(0, n).ToArray());
            n = server.WriteAlert(Alert.CloseNotify, null, buffer);
            recording.ServerBytes.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        recording.ServerMessagesAfterHello.AddRange(serverMessages.Where(m => m[0] is not (byte)HandshakeType.ServerHello));
        return recording;
    }

    /// <summary>The client's handshake messages after its ClientHello, as one byte string.</summary>
    public byte[] ClientFlightPlaintext() => [.. ClientSent.Where(m => m[0] != (byte)HandshakeType.ClientHello).SelectMany(m => m)];

    /// <summary>The server's encrypted handshake flight (everything after the ServerHello, before NewSessionTicket).</summary>
    public byte[] ServerFlightPlaintext() => [.. ServerMessagesAfterHello.Where(m => m[0] != (byte)HandshakeType.NewSessionTicket).SelectMany(m => m)];

    public void OnHandshakeMessage(bool sent, string type, ReadOnlySpan<byte> message)
    {
        if (sent)
        {
            ClientSent.Add(message.ToArray());
        }
    }

    public void OnSecret(string label, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> secret) => Secrets[label] = secret.ToArray();

    /// <summary>Deframes <paramref name="bytes"/> into records and processes each one.</summary>
    public static void Feed(ProtocolConnection receiver, byte[] bytes, StepCounter? steps = null)
    {
        int at = 0;
        while (RecordHeader.TryRead(bytes.AsSpan(at), out var header) && bytes.Length - at >= ProtocolConstants.RecordHeaderLength + header.Length)
        {
            steps?.Step();
            int length = ProtocolConstants.RecordHeaderLength + header.Length;
            receiver.ProcessRecord(bytes.AsSpan(at, length), out _, out _);
            at += length;
        }
    }

    /// <summary>Seals <paramref name="plaintext"/> as handshake records (inner type 22) under a handshake traffic secret.</summary>
    public static byte[] Seal(CipherSuite suite, byte[] secret, byte[] sessionId, byte[] plaintext)
    {
        using var traffic = new HandshakeTrafficSecret(KeyDerivation.SafeWire, (byte[])secret.Clone());
        using var protection = RecordProtection.Create(suite, traffic);
        var output = new List<byte>();
        var record = new byte[ProtocolConstants.MaxRecordLength + 64];
        int at = 0;
        do
        {
            int chunk = Math.Min(ProtocolConstants.MaxPlaintext, plaintext.Length - at);
            RecordHeader.Write(record, ContentType.ApplicationData, sessionId, 0);
            var inner = record.AsSpan(ProtocolConstants.RecordHeaderLength + protection.PlaintextOffset);
            plaintext.AsSpan(at, chunk).CopyTo(inner);
            inner[chunk] = (byte)ContentType.Handshake;
            int n = protection.Seal(record, chunk + 1);
            output.AddRange(record.AsSpan(0, n).ToArray());
            at += chunk;
        }
        while (at < plaintext.Length);
        return [.. output];
    }
}

/// <summary>Common checks of the protocol targets: only <see cref="ProtocolException"/>, never internal_error, and an alert can always be written.</summary>
public abstract class ProtocolTarget : FuzzTarget
{
    // A handshake message is at most 65536 bytes and a record 16661; certificate parsing and the key schedule cost
    // a few hundred kilobytes more. Anything sized from a length field without a check would blow far past this.
    public override long AllocationLimit(int inputLength) => (2L * 1024 * 1024) + (8L * inputLength);

    public override int StepLimit(int inputLength) => (inputLength / ProtocolConstants.RecordHeaderLength) + 8;

    public override bool IsTypedError(Exception exception) => exception is ProtocolException;

    public override string? CheckTypedError(Exception exception) =>
        exception is ProtocolException { FromPeer: false, Alert: Alert.InternalError } p ? "internal_error for peer input: " + p.Message : null;

    /// <summary>Feeds the records; on a refusal, checks that the alert record can still be written (clean close).</summary>
    private protected static void FeedAndAlert(ProtocolConnection connection, byte[] bytes, StepCounter steps)
    {
        try
        {
            Recording.Feed(connection, bytes, steps);
        }
        catch (ProtocolException e) when (!e.FromPeer)
        {
            connection.WriteAlert(e.Alert, e.TrustFailure, new byte[128]);
            throw;
        }
    }
}

/// <summary>The server role, fed whole client byte streams (ClientHello in plaintext, then records).</summary>
public sealed class HandshakeServerTarget : ProtocolTarget
{
    private readonly Lazy<byte[][]> _seeds = new(() =>
    [
        [.. Recording.Make(CipherSuites.Default, Endpoints.ClientCertificate, true).ClientBytes],
        [.. Recording.Make([CipherSuite.ChaCha20Poly1305], null, true).ClientBytes],
        [.. Recording.Make([CipherSuite.Aes256CbcHmacSha256, CipherSuite.Aes256Gcm], Endpoints.ClientCertificate, true).ClientBytes],
    ]);

    public override string Name => "handshake-server";

    public override IReadOnlyList<byte[]> Seeds => _seeds.Value;

    public override void Run(byte[] input, StepCounter steps)
    {
        using var server = new ProtocolConnection(Endpoints.Server());
        FeedAndAlert(server, input, steps);
    }
}

/// <summary>The client role, fed whole server byte streams (ServerHello in plaintext, then records).</summary>
public sealed class HandshakeClientTarget : ProtocolTarget
{
    private readonly Lazy<byte[][]> _seeds = new(() =>
    [
        [.. Recording.Make(CipherSuites.Default, Endpoints.ClientCertificate, true).ServerBytes],
        [.. Recording.Make(CipherSuites.Default, Endpoints.ClientCertificate, false).ServerBytes],
    ]);

    public override string Name => "handshake-client";

    public override IReadOnlyList<byte[]> Seeds => _seeds.Value;

    public override void Run(byte[] input, StepCounter steps)
    {
        using var client = new ProtocolConnection(Endpoints.Client(CipherSuites.Default, Endpoints.ClientCertificate));
        FeedAndAlert(client, input, steps);
    }
}

/// <summary>
/// The server's decoders behind the encryption: the recorded ClientHello, then the input as the plaintext of the
/// client's flight (Certificate, CertificateVerify, Finished), sealed under the client's handshake key, so every
/// mutation reaches the message parsers, the certificate and key checks and the trust policy.
/// </summary>
public sealed class ServerFlightTarget : ProtocolTarget
{
    private readonly Lazy<Recording> _recording = new(() => Recording.Make(CipherSuites.Default, Endpoints.ClientCertificate, true));

    public override string Name => "handshake-server-flight";

    public override IReadOnlyList<byte[]> Seeds =>
    [
        _recording.Value.ClientFlightPlaintext(),
        Recording.Make(CipherSuites.Default, null, true).ClientFlightPlaintext(),
    ];

    public override void Run(byte[] input, StepCounter steps)
    {
        var r = _recording.Value;
        using var server = new ProtocolConnection(Endpoints.Server());
        Recording.Feed(server, r.ClientHelloRecord);
        server.ClearOutput();
        FeedAndAlert(server, Recording.Seal(r.Suite, r.Secrets["CLIENT_HANDSHAKE_TRAFFIC_SECRET"], r.SessionId, input), steps);
    }
}

/// <summary>The client's decoders behind the encryption: the input as the server's encrypted flight.</summary>
public sealed class ClientFlightTarget : ProtocolTarget
{
    private readonly Lazy<Recording> _recording = new(() => Recording.Make(CipherSuites.Default, Endpoints.ClientCertificate, true));

    public override string Name => "handshake-client-flight";

    public override IReadOnlyList<byte[]> Seeds =>
    [
        _recording.Value.ServerFlightPlaintext(),
        Recording.Make(CipherSuites.Default, null, false).ServerFlightPlaintext(),
    ];

    public override void Run(byte[] input, StepCounter steps)
    {
        var r = _recording.Value;
        using var client = new ProtocolConnection(Endpoints.Client(CipherSuites.Default, Endpoints.ClientCertificate));
        client.ClearOutput();
        Recording.Feed(client, r.ServerHelloRecord);
        FeedAndAlert(client, Recording.Seal(r.Suite, r.Secrets["SERVER_HANDSHAKE_TRAFFIC_SECRET"], r.SessionId, input), steps);
    }
}
