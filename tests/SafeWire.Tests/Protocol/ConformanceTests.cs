using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Protocol.Handshake;
using SafeWire.Protocol.Records;
using SafeWire.Tests.Support;

namespace SafeWire.Tests.Protocol;

/// <summary>
/// Code and docs/PROTOCOL.md agree: each peer mistake gets its specific alert (never internal_error), alerts go out
/// in plaintext while the peer cannot hold our keys, the client's suite order decides, and handshake states release
/// their secrets on failure and on dispose.
/// </summary>
public sealed class ConformanceTests
{
    // 1.2.840.10045.3.1.7 (P-256) as DER content bytes; the last byte is corrupted to name no known curve.
    private static readonly byte[] s_p256Oid = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

    [Fact]
    public void CertificateWithCorruptedCurveOid_FromClient_BadCertificate()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var clientCredential = SelfSignedP256("client");
        var error = ClientAuthFails(serverKey, clientCredential, CorruptCurveOid);
        Assert.Equal(Alert.BadCertificate, error.Alert);
        Assert.Equal(TrustFailureReason.Malformed, error.TrustFailure);
    }

    [Fact]
    public void CertificateWithCorruptedCurveOid_FromServer_BadCertificate()
    {
        using var serverCredential = SelfSignedP256("server");
        var serverSettings = new HandshakeSettings
        {
            IsClient = false,
            CipherSuites = CipherSuites.Default,
            Credential = serverCredential,
            Now = Now,
            RewriteOutgoing = CorruptCurveOid,
        };
        var clientSettings = new HandshakeSettings { IsClient = true, CipherSuites = CipherSuites.Default, PeerVerifier = new AcceptAnyKey(), ServerName = "server", Now = Now };
        using var pair = new ConnectionPair(clientSettings, serverSettings);
        var error = Assert.Throws<ProtocolException>(pair.Handshake);
        Assert.Equal(Alert.BadCertificate, error.Alert);
        Assert.False(error.FromPeer);
    }

    [Fact]
    public void P384RawKey_FromClient_BadCertificateNotDecryptError()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var p384 = LocalCredential.FromRawKey(ECDsa.Create(ECCurve.NamedCurves.nistP384));
        var error = ClientAuthFails(serverKey, p384, rewrite: null);
        Assert.Equal(Alert.BadCertificate, error.Alert);
    }

    [Fact]
    public void P384RawKey_FromServer_BadCertificateNotDecryptError()
    {
        using var p384 = LocalCredential.FromRawKey(ECDsa.Create(ECCurve.NamedCurves.nistP384));
        using var pair = new ConnectionPair(
            new HandshakeSettings { IsClient = true, CipherSuites = CipherSuites.Default, PeerVerifier = new AcceptAnyKey(), ServerName = "server", Now = Now },
            new HandshakeSettings { IsClient = false, CipherSuites = CipherSuites.Default, Credential = p384, Now = Now });
        var error = Assert.Throws<ProtocolException>(pair.Handshake);
        Assert.Equal(Alert.BadCertificate, error.Alert);
    }

    [Fact]
    public void CertificateInsideRawKeyEntry_BadCertificate()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var clientCredential = SelfSignedP256("client");
        var certificateDer = clientCredential.Certificate!.RawData;
        var error = ClientAuthFails(serverKey, clientCredential, message =>
        {
            if (message[0] != 11)
            {
                return message;
            }

            // kind 1 (raw key), one entry: the certificate's DER where an SPKI belongs.
            var body = new List<byte> { 1, 1, 0, unchecked((byte)(certificateDer.Length >> 8)), unchecked((byte)certificateDer.Length) };
            body.AddRange(certificateDer);
            return [11, 0, unchecked((byte)(body.Count >> 8)), unchecked((byte)body.Count), .. body];
        });
        Assert.Equal(Alert.BadCertificate, error.Alert);
    }

    [Fact]
    public void ClientHelloFollowedByStrayBytes_AlertIsPlaintext()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var pair = new ConnectionPair(DeterministicSession.Client(serverKey), DeterministicSession.Server(serverKey));
        var hello = pair.Client.Output.ToArray();
        pair.Client.ClearOutput();
        byte[] stray = [0xAA, 0xBB, 0xCC];
        var record = new byte[hello.Length + stray.Length];
        hello.CopyTo(record, 0);
        stray.CopyTo(record, hello.Length);
        RecordHeader.SetLength(record, hello.Length - ProtocolConstants.RecordHeaderLength + stray.Length);

        var error = Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Server, record, new FeedResult()));
        Assert.Equal(Alert.UnexpectedMessage, error.Alert);
        Assert.False(pair.Server.HasOutput); // the ServerHello the client never saw is gone

        var alert = new byte[128];
        int n = pair.Server.WriteAlert(error.Alert, null, alert);
        Assert.Equal("155701" + new string('0', 32) + "0002" + "0aff", Convert.ToHexString(alert, 0, n).ToLowerInvariant());

        // The client, which has no keys yet, reads it.
        var received = Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Client, alert[..n], new FeedResult()));
        Assert.True(received.FromPeer);
        Assert.Equal(Alert.UnexpectedMessage, received.Alert);
    }

    [Fact]
    public void ServerHelloFollowedByStrayBytes_ClientAlertIsPlaintext_AndTheServerReadsIt()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var pair = new ConnectionPair(DeterministicSession.Client(serverKey), DeterministicSession.Server(serverKey));
        ConnectionPair.Feed(pair.Server, pair.Client.Output.ToArray(), new FeedResult());
        pair.Client.ClearOutput();
        var flight = pair.Server.Output.ToArray();
        int helloRecord = ProtocolConstants.RecordHeaderLength + RecordLength(flight);
        var record = new byte[helloRecord + 2];
        flight.AsSpan(0, helloRecord).CopyTo(record);
        record[^2] = 0x0B; // the start of a Certificate message in the plaintext record
        RecordHeader.SetLength(record, helloRecord - ProtocolConstants.RecordHeaderLength + 2);

        var error = Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Client, record, new FeedResult()));
        Assert.Equal(Alert.UnexpectedMessage, error.Alert);
        var alert = new byte[128];
        int n = pair.Client.WriteAlert(error.Alert, null, alert);
        Assert.Equal(21, alert[0]);
        Assert.Equal(ProtocolConstants.RecordHeaderLength + 2, n);

        // The server already reads with the client's handshake key, but takes the plaintext alert for what it is.
        var received = Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Server, alert[..n], new FeedResult()));
        Assert.True(received.FromPeer);
        Assert.Equal(Alert.UnexpectedMessage, received.Alert);
    }

    [Theory]
    [InlineData(new[] { CipherSuite.ChaCha20Poly1305, CipherSuite.Aes256Gcm }, new[] { CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305, CipherSuite.Aes256CbcHmacSha256 }, CipherSuite.ChaCha20Poly1305)]
    [InlineData(new[] { CipherSuite.Aes256CbcHmacSha256, CipherSuite.Aes256Gcm }, new[] { CipherSuite.Aes256Gcm, CipherSuite.Aes256CbcHmacSha256 }, CipherSuite.Aes256CbcHmacSha256)]
    [InlineData(new[] { CipherSuite.ChaCha20Poly1305, CipherSuite.Aes256Gcm, CipherSuite.Aes256CbcHmacSha256 }, new[] { CipherSuite.Aes256CbcHmacSha256, CipherSuite.Aes256Gcm }, CipherSuite.Aes256Gcm)]
    public void SuiteChoice_FollowsTheClientsPreferenceAmongTheServersSuites(CipherSuite[] client, CipherSuite[] server, CipherSuite expected)
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var chosen = new ConnectionPair(
            new HandshakeSettings { IsClient = true, CipherSuites = client, PeerVerifier = new AcceptAnyKey(), ServerName = "s", Now = Now },
            new HandshakeSettings { IsClient = false, CipherSuites = server, Credential = serverKey, Now = Now });
        chosen.Handshake();
        Assert.Equal(expected, chosen.Client.Result!.Suite);
        Assert.Equal(expected, chosen.Server.Result!.Suite);
    }

    [Theory]
    [InlineData(0, 0x17, Alert.UnexpectedMessage)]     // content type 0x17 + 1 = 24: unknown
    [InlineData(1, 0x56, Alert.ProtocolVersion)]       // version 0x5601
    [InlineData(19, 0x41, Alert.RecordOverflow)]      // length 0x41xx > 16640
    public void RecordHeaderChecks_HaveTheDocumentedAlerts(int offset, int value, Alert expected)
    {
        var record = new byte[ProtocolConstants.RecordHeaderLength];
        RecordHeader.Write(record, ContentType.Handshake, new byte[16], 100);
        record[offset] = offset == 0 ? (byte)(value + 1) : (byte)value;
        var error = Assert.Throws<ProtocolException>(() => RecordHeader.TryRead(record, out _));
        Assert.Equal(expected, error.Alert);
    }

    [Fact]
    public void DisposedMidHandshake_ReleasesTheEphemeralKey()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var connection = new ProtocolConnection(ClientWithEphemeral(serverKey, ephemeral));
        Assert.True(connection.HasOutput);
        connection.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ephemeral.ExportParameters(false));
    }

    [Fact]
    public void FailedServerHello_ReleasesTheEphemeralKey()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var connection = new ProtocolConnection(ClientWithEphemeral(serverKey, ephemeral));
        var notAServerHello = new byte[ProtocolConstants.RecordHeaderLength + 4];
        RecordHeader.Write(notAServerHello, ContentType.Handshake, new byte[16], 4);
        notAServerHello[ProtocolConstants.RecordHeaderLength] = 20; // Finished, empty
        Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(connection, notAServerHello, new FeedResult()));
        Assert.Throws<ObjectDisposedException>(() => ephemeral.ExportParameters(false));
    }

    [Fact]
    public void AClientThatHasTheServerHello_TakesAPlaintextBusyAlertWithAZeroSessionId_AsTheServersAlert()
    {
        // A server that drops a connection for load before its first flight went out has no session the client
        // knows of: it alerts in plaintext with an all-zero session ID. The client must read "server busy", not
        // "wrong session ID", even when it already processed a ServerHello.
        using var serverKey = DeterministicSession.ServerCredential();
        using var pair = new ConnectionPair(DeterministicSession.Client(serverKey), DeterministicSession.Server(serverKey));
        ConnectionPair.Feed(pair.Server, pair.Client.Output.ToArray(), new FeedResult());
        var flight = pair.Server.Output.ToArray();
        Assert.True(RecordHeader.TryRead(flight, out var serverHello));
        ConnectionPair.Feed(pair.Client, flight[..(ProtocolConstants.RecordHeaderLength + serverHello.Length)], new FeedResult());
        Assert.False(pair.Client.IsHandshakeComplete);

        var busy = Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Client, SafeWire.Transport.SecureListener.AlertRecord(Alert.ServerBusy), new FeedResult()));
        Assert.Equal(Alert.ServerBusy, busy.Alert);
        Assert.True(busy.FromPeer);
    }

    [Fact]
    public void AfterTheHandshake_APlaintextAlertWithAZeroSessionId_IsRefused()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var pair = new ConnectionPair(DeterministicSession.Client(serverKey), DeterministicSession.Server(serverKey));
        pair.Handshake();
        var wrong = Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(pair.Client, SafeWire.Transport.SecureListener.AlertRecord(Alert.ServerBusy), new FeedResult()));
        Assert.Equal(Alert.IllegalParameter, wrong.Alert);
    }

    [Fact]
    public void AfterAFailure_TheConnectionRefusesFurtherRecords()
    {
        using var serverKey = DeterministicSession.ServerCredential();
        using var server = new ProtocolConnection(DeterministicSession.Server(serverKey));
        var garbage = new byte[ProtocolConstants.RecordHeaderLength + 4];
        RecordHeader.Write(garbage, ContentType.Handshake, new byte[16], 4);
        garbage[ProtocolConstants.RecordHeaderLength] = 2;
        Assert.Throws<ProtocolException>(() => ConnectionPair.Feed(server, garbage, new FeedResult()));
        Assert.Throws<InvalidOperationException>(() => ConnectionPair.Feed(server, garbage, new FeedResult()));
    }

    internal static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static HandshakeSettings ClientWithEphemeral(LocalCredential serverKey, ECDiffieHellman ephemeral) => new()
    {
        IsClient = true,
        CipherSuites = CipherSuites.Default,
        PeerVerifier = new AcceptAnyKey(),
        ServerName = "s",
        Now = Now,
        CreateEphemeralKey = () => ephemeral,
    };

    private static int RecordLength(byte[] records) => (records[19] << 8) | records[20];

    /// <summary>Runs a client-authenticating handshake; returns the server's failure.</summary>
    private static ProtocolException ClientAuthFails(LocalCredential serverKey, LocalCredential clientCredential, Func<byte[], byte[]>? rewrite)
    {
        var client = new HandshakeSettings
        {
            IsClient = true,
            CipherSuites = CipherSuites.Default,
            PeerVerifier = new AcceptAnyKey(),
            ServerName = "s",
            Now = Now,
            Credential = clientCredential,
            RewriteOutgoing = rewrite,
        };
        var server = new HandshakeSettings
        {
            IsClient = false,
            CipherSuites = CipherSuites.Default,
            Credential = serverKey,
            Now = Now,
            PeerVerifier = new AcceptAnyKey(),
            RequireClientCredential = true,
        };
        using var pair = new ConnectionPair(client, server);
        var error = Assert.Throws<ProtocolException>(pair.Handshake);
        Assert.False(error.FromPeer);
        Assert.True(pair.Client.IsHandshakeComplete); // the server refused the client's flight
        return error;
    }

    private static byte[] CorruptCurveOid(byte[] message)
    {
        if (message[0] != 11)
        {
            return message;
        }

        var copy = (byte[])message.Clone();
        int at = copy.AsSpan().IndexOf(s_p256Oid);
        Assert.True(at > 0, "the certificate holds a P-256 key");
        copy[at + s_p256Oid.Length - 1] = 0x63;
        return copy;
    }

    private static LocalCredential SelfSignedP256(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return LocalCredential.FromCertificate(X509CertificateLoader.LoadCertificate(certificate.RawData), key);
    }

    /// <summary>Trusts any key, like the chat server's open admission: only the handshake's own checks remain.</summary>
    private sealed class AcceptAnyKey : IPeerVerifier
    {
        public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
        {
            var fingerprint = Fingerprint.Of(credential.SubjectPublicKeyInfo);
            return new PeerIdentity(fingerprint, fingerprint, credential.SubjectPublicKeyInfo, null);
        }
    }
}
