using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Tests.Support;
using SafeWire.Transport;

namespace SafeWire.Tests.Transport;

/// <summary>Each way a handshake can be refused gets its own alert (and trust reason), on both ends, typed.</summary>
public sealed class HandshakeFailureTests
{
    [Fact]
    public async Task ServerFromAnotherCa_UnknownCa()
    {
        using var trusted = new TestPki("Trusted CA");
        using var other = new TestPki("Other CA");
        using var server = other.Issue("server.test");
        await AssertServerRejected(new TestCaVerifier(trusted), server, "server.test", Alert.UnknownCa, TrustFailureReason.UntrustedIssuer);
    }

    [Fact]
    public async Task ExpiredServerCertificate_CertificateExpired()
    {
        using var pki = new TestPki();
        using var server = pki.Issue("server.test", notBefore: DateTimeOffset.UtcNow.AddHours(-12), notAfter: DateTimeOffset.UtcNow.AddHours(-1));
        await AssertServerRejected(new TestCaVerifier(pki), server, "server.test", Alert.CertificateExpired, TrustFailureReason.Expired);
    }

    [Fact]
    public async Task RevokedServerCertificate_CertificateRevoked()
    {
        using var pki = new TestPki();
        using var server = pki.Issue("server.test");
        pki.Revoke(server);
        await AssertServerRejected(new TestCaVerifier(pki), server, "server.test", Alert.CertificateRevoked, TrustFailureReason.Revoked);
    }

    [Fact]
    public async Task WrongServerName_CertificateUnknown()
    {
        using var pki = new TestPki();
        using var server = pki.Issue("server.test");
        await AssertServerRejected(new TestCaVerifier(pki), server, "elsewhere.test", Alert.CertificateUnknown, TrustFailureReason.NameMismatch);
    }

    [Fact]
    public async Task KnownHostWithChangedKey_BadCertificate()
    {
        using var recorded = Channels.NewRawKey();
        using var impostor = Channels.NewRawKey();
        await AssertServerRejected(new TestPinnedVerifier([recorded.Fingerprint], TrustFailureReason.HostKeyChanged), impostor, null, Alert.BadCertificate, TrustFailureReason.HostKeyChanged);
    }

    [Fact]
    public async Task ClientNotOnAllowList_AccessDenied_SeenByBothSides()
    {
        using var serverKey = Channels.NewRawKey();
        using var allowed = Channels.NewRawKey();
        using var stranger = Channels.NewRawKey();
        var clientOptions = Channels.ClientPinning(serverKey);
        clientOptions.ClientCredential = stranger;
        var serverOptions = Channels.ServerOptions(serverKey);
        serverOptions.ClientVerifier = new TestPinnedVerifier([allowed.Fingerprint]);
        serverOptions.RequireClientCredential = true;

        var (c, s) = DuplexPipeStream.CreatePair();
        await using var client = new SecureStream(c);
        await using var server = new SecureStream(s);
        var serverError = Channels.Capture(server.AuthenticateAsServerAsync(serverOptions, TestContext.Current.CancellationToken));
        // The client's handshake completes before the server has judged it (as in TLS 1.3); its first read reports the refusal.
        var clientError = Channels.Capture(Task.Run(async () =>
        {
            await client.AuthenticateAsClientAsync(clientOptions, TestContext.Current.CancellationToken);
            _ = await client.ReadAsync(new byte[1], TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken));
        var serverFailure = Assert.IsType<SecureChannelException>(await serverError.WaitAsync(Channels.TestTimeout, TestContext.Current.CancellationToken));
        Assert.Equal(Alert.AccessDenied, serverFailure.Alert);
        Assert.Equal(TrustFailureReason.NotOnAllowList, serverFailure.TrustFailure);
        Assert.False(serverFailure.SentByPeer);
        var clientFailure = Assert.IsType<SecureChannelException>(await clientError.WaitAsync(Channels.TestTimeout, TestContext.Current.CancellationToken));
        Assert.Equal(Alert.AccessDenied, clientFailure.Alert);
        Assert.Equal(TrustFailureReason.NotOnAllowList, clientFailure.TrustFailure);
        Assert.True(clientFailure.SentByPeer);
    }

    [Fact]
    public async Task RequiredClientCredentialMissing_CertificateRequired()
    {
        using var serverKey = Channels.NewRawKey();
        var serverOptions = Channels.ServerOptions(serverKey);
        serverOptions.ClientVerifier = new TestPinnedVerifier([]);
        serverOptions.RequireClientCredential = true;
        var (c, s) = DuplexPipeStream.CreatePair();
        await using var client = new SecureStream(c);
        await using var server = new SecureStream(s);
        var serverError = Channels.Capture(server.AuthenticateAsServerAsync(serverOptions, TestContext.Current.CancellationToken));
        await client.AuthenticateAsClientAsync(Channels.ClientPinning(serverKey), TestContext.Current.CancellationToken);
        var failure = Assert.IsType<SecureChannelException>(await serverError.WaitAsync(Channels.TestTimeout, TestContext.Current.CancellationToken));
        Assert.Equal(Alert.CertificateRequired, failure.Alert);
        var read = await Assert.ThrowsAsync<SecureChannelException>(async () => _ = await client.ReadAsync(new byte[1], TestContext.Current.CancellationToken));
        Assert.Equal(Alert.CertificateRequired, read.Alert);
    }

    [Fact]
    public async Task NoCommonSuite_NoCommonCipherSuite()
    {
        using var serverKey = Channels.NewRawKey();
        var clientOptions = Channels.ClientPinning(serverKey);
        clientOptions.CipherSuites = [CipherSuite.ChaCha20Poly1305];
        var serverOptions = Channels.ServerOptions(serverKey);
        serverOptions.CipherSuites = [CipherSuite.Aes256Gcm];
        var (clientError, serverError) = await Channels.HandshakeFailuresAsync(clientOptions, serverOptions);
        Assert.Equal(Alert.NoCommonCipherSuite, Assert.IsType<SecureChannelException>(serverError).Alert);
        var client = Assert.IsType<SecureChannelException>(clientError);
        Assert.Equal(Alert.NoCommonCipherSuite, client.Alert);
        Assert.True(client.SentByPeer);
    }

    [Fact]
    public async Task PeerThatStopsSending_TimesOut()
    {
        using var serverKey = Channels.NewRawKey();
        var (c, s) = DuplexPipeStream.CreatePair();
        await using var silentPeer = s;
        await using var client = new SecureStream(c);
        var options = Channels.ClientPinning(serverKey);
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(300);
        var error = await Assert.ThrowsAsync<SecureChannelException>(() => client.AuthenticateAsClientAsync(options, TestContext.Current.CancellationToken).WaitAsync(Channels.TestTimeout, TestContext.Current.CancellationToken));
        Assert.Equal(Alert.HandshakeTimeout, error.Alert);
        Assert.Contains("ServerHello", error.Message, StringComparison.Ordinal);

        // A server facing a client that sends half a record times out as well.
        var (c2, s2) = DuplexPipeStream.CreatePair();
        await using var halfClient = c2;
        await using var server = new SecureStream(s2);
        var serverOptions = Channels.ServerOptions(serverKey);
        serverOptions.HandshakeTimeout = TimeSpan.FromMilliseconds(300);
        await halfClient.WriteAsync(new byte[] { 22, 0x57, 0x01 }, TestContext.Current.CancellationToken);
        var serverTimeout = await Assert.ThrowsAsync<SecureChannelException>(() => server.AuthenticateAsServerAsync(serverOptions, TestContext.Current.CancellationToken).WaitAsync(Channels.TestTimeout, TestContext.Current.CancellationToken));
        Assert.Equal(Alert.HandshakeTimeout, serverTimeout.Alert);
    }

    [Fact]
    public async Task OversizedRecordHeader_IsRefusedWithoutWaitingForTheBody()
    {
        using var serverKey = Channels.NewRawKey();
        var (c, s) = DuplexPipeStream.CreatePair();
        await using var raw = c;
        await using var server = new SecureStream(s);
        var header = new byte[21];
        header[0] = 22;
        header[1] = 0x57;
        header[2] = 0x01;
        header[19] = 0xFF;
        header[20] = 0xFF;
        await raw.WriteAsync(header, TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<SecureChannelException>(() => server.AuthenticateAsServerAsync(Channels.ServerOptions(serverKey), TestContext.Current.CancellationToken).WaitAsync(Channels.TestTimeout, TestContext.Current.CancellationToken));
        Assert.Equal(Alert.RecordOverflow, error.Alert);
        var alert = new byte[23];
        await raw.ReadExactlyAsync(alert, TestContext.Current.CancellationToken);
        Assert.Equal(21, alert[0]);
        Assert.Equal((byte)Alert.RecordOverflow, alert[21]);
    }

    [Fact]
    public async Task RandomBytesInsteadOfAHandshake_AreTypedFailures_NeverHangs()
    {
        using var serverKey = Channels.NewRawKey();
        var rng = new Random(1234);
        for (int i = 0; i < 40; i++)
        {
            var garbage = new byte[rng.Next(1, 400)];
            rng.NextBytes(garbage);
            if (i % 2 == 0)
            {
                // Half the cases look like a handshake record header so the parser goes deeper.
                garbage[0] = 22;
                if (garbage.Length > 2)
                {
                    garbage[1] = 0x57;
                    garbage[2] = 0x01;
                }
            }

            var (c, s) = DuplexPipeStream.CreatePair();
            await using var raw = c;
            await using var server = new SecureStream(s);
            await raw.WriteAsync(garbage, TestContext.Current.CancellationToken);
            raw.Dispose(); // EOF after the garbage
            var options = Channels.ServerOptions(serverKey);
            options.HandshakeTimeout = TimeSpan.FromSeconds(5);
            var error = await Channels.Capture(server.AuthenticateAsServerAsync(options, TestContext.Current.CancellationToken)).WaitAsync(Channels.TestTimeout, TestContext.Current.CancellationToken);
            Assert.IsType<SecureChannelException>(error);
        }
    }

    [Fact]
    public async Task TruncatedConnection_IsReportedNotTreatedAsEndOfData()
    {
        using var serverKey = Channels.NewRawKey();
        var (c, s) = DuplexPipeStream.CreatePair();
        var client = new SecureStream(c);
        var server = new SecureStream(s, leaveInnerStreamOpen: true);
        await Task.WhenAll(client.AuthenticateAsClientAsync(Channels.ClientPinning(serverKey), TestContext.Current.CancellationToken), server.AuthenticateAsServerAsync(Channels.ServerOptions(serverKey), TestContext.Current.CancellationToken)).WaitAsync(Channels.TestTimeout, TestContext.Current.CancellationToken);
        await server.WriteAsync(new byte[] { 1, 2, 3 }, TestContext.Current.CancellationToken);
        s.Dispose(); // cut the transport: no close_notify
        var buffer = new byte[10];
        Assert.Equal(3, await client.ReadAsync(buffer, TestContext.Current.CancellationToken));
        var error = await Assert.ThrowsAsync<SecureChannelException>(async () => _ = await client.ReadAsync(buffer, TestContext.Current.CancellationToken));
        Assert.Equal(Alert.Truncated, error.Alert);
        // The first failure sticks.
        var again = await Assert.ThrowsAsync<SecureChannelException>(async () => _ = await client.ReadAsync(buffer, TestContext.Current.CancellationToken));
        Assert.Same(error, again);
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    private static async Task AssertServerRejected(IPeerVerifier clientTrust, LocalCredential server, string? serverName, Alert alert, TrustFailureReason reason)
    {
        var clientOptions = new SecureClientOptions { ServerVerifier = clientTrust, ServerName = serverName };
        var (clientError, serverError) = await Channels.HandshakeFailuresAsync(clientOptions, Channels.ServerOptions(server));
        var client = Assert.IsType<SecureChannelException>(clientError);
        Assert.Equal(alert, client.Alert);
        Assert.Equal(reason, client.TrustFailure);
        Assert.False(client.SentByPeer);
        var serverSide = Assert.IsType<SecureChannelException>(serverError);
        Assert.Equal(alert, serverSide.Alert);
        Assert.Equal(reason, serverSide.TrustFailure);
        Assert.True(serverSide.SentByPeer);
    }
}
