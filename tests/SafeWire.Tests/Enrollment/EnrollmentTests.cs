using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SafeWire.Enrollment;
using SafeWire.Identity;
using SafeWire.TestSupport;
using SafeWire.Transport;

namespace SafeWire.Tests.Enrollment;

public sealed class EnrollmentTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Join_CertifiesTheJoiningKey_AllowListsIt_AndTheCodeWorksOnce()
    {
        using var dir = new TempDirectory();
        await using var server = await JoinServer.StartAsync(dir["server"]);
        var code = server.Invite("alice");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ct = TestContext.Current.CancellationToken;

        var result = await EnrollmentClient.JoinAsync(code, key, cancellationToken: ct).WaitAsync(s_timeout, ct);

        Assert.Equal("alice", result.Name);
        Assert.Equal(PeerRole.Client, result.Role);
        using var certificate = X509CertificateLoader.LoadCertificate(result.Certificate);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        using var ca = CertificateFile.Read(server.Home.CaCertificatePath);
        Assert.Equal(ca.RawData, result.CaCertificate);
        var identity = new CaVerifier([ca]).Verify(PeerCredential.FromCertificateChain([result.Certificate]), new PeerVerificationContext(PeerRole.Client, "alice", DateTimeOffset.UtcNow));
        identity.Certificate?.Dispose();
        Assert.NotNull(result.Crl);
        Assert.Equal("alice", AllowList.Load(server.Home.AllowListPath).Find(Fingerprint.Of(key.ExportSubjectPublicKeyInfo()))?.Name);

        // The server keeps no form of the secret that could be replayed.
        var stored = File.ReadAllText(EnrollmentServer.InvitationsPath(server.Home));
        Assert.DoesNotContain(Convert.ToBase64String(code.Secret), stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(code.Secret), stored, StringComparison.OrdinalIgnoreCase);

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var again = await Assert.ThrowsAsync<JoinException>(() => EnrollmentClient.JoinAsync(code, other, cancellationToken: ct).WaitAsync(s_timeout, ct));
        Assert.Equal(JoinError.Used, again.Error);
        Assert.Contains("used already", again.Message, StringComparison.Ordinal);
        Assert.Null(AllowList.Load(server.Home.AllowListPath).Find(Fingerprint.Of(other.ExportSubjectPublicKeyInfo())));
    }

    [Fact]
    public async Task ConcurrentJoins_AreEachCertifiedAndAllowListed_AndOneCodeSentTwiceAtOnceWorksOnce()
    {
        using var dir = new TempDirectory();
        await using var server = await JoinServer.StartAsync(dir["server"]);
        var ct = TestContext.Current.CancellationToken;
        // Seven connections at once: within what the listener lets one address have in its handshake (joins included).
        var codes = Enumerable.Range(0, 6).Select(i => server.Invite("m" + i)).ToList();
        var keys = Enumerable.Range(0, 7).Select(_ => ECDsa.Create(ECCurve.NamedCurves.nistP256)).ToList();
        try
        {
            // Six distinct codes and one of them a second time, all at once: the writes of concurrent joins are batched.
            var attempts = codes.Select((code, i) => (Code: code, Key: keys[i])).Append((Code: codes[0], Key: keys[6]))
                .Select(async a =>
                {
                    try
                    {
                        return (a.Key, Result: (JoinResult?)await EnrollmentClient.JoinAsync(a.Code, a.Key, cancellationToken: ct).WaitAsync(s_timeout, ct), Error: (JoinError?)null);
                    }
                    catch (JoinException e)
                    {
                        return (a.Key, Result: (JoinResult?)null, Error: (JoinError?)e.Error);
                    }
                }).ToList();
            var outcomes = await Task.WhenAll(attempts);

            Assert.Equal(6, outcomes.Count(o => o.Result is not null));
            Assert.Equal([JoinError.Used], outcomes.Where(o => o.Error is not null).Select(o => o.Error!.Value));
            var list = AllowList.Load(server.Home.AllowListPath);
            Assert.Equal(6, list.Entries.Count);
            foreach (var outcome in outcomes.Where(o => o.Result is not null))
            {
                using var certificate = X509CertificateLoader.LoadCertificate(outcome.Result!.Certificate);
                Assert.Equal(outcome.Key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
                Assert.Equal(outcome.Result.Name, list.Find(Fingerprint.Of(outcome.Key.ExportSubjectPublicKeyInfo()))?.Name);
            }

            var invitations = new InvitationStore(EnrollmentServer.InvitationsPath(server.Home)).All();
            Assert.All(invitations, i => Assert.NotNull(i.Used));
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    }

    [Fact]
    public async Task Join_KeepsACopyOfTheIssuedCertificate_AndLeavesNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        await using var server = await JoinServer.StartAsync(dir["server"]);
        var code = server.Invite("erin");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ct = TestContext.Current.CancellationToken;

        var result = await EnrollmentClient.JoinAsync(code, key, cancellationToken: ct).WaitAsync(s_timeout, ct);

        using var issued = X509CertificateLoader.LoadCertificate(result.Certificate);
        using var copy = CertificateFile.Read(EnrollmentServer.IssuedPath(server.Home, "erin", issued.SerialNumber));
        Assert.Equal(result.Certificate, copy.RawData);
        var temporary = Directory.EnumerateFiles(server.Home.Root, ".*.tmp", SearchOption.AllDirectories).ToList();
        Assert.Empty(temporary);
    }

    [Fact]
    public async Task Join_WhenTheCaCannotSign_IsRefused_AndTheCodeStaysValid()
    {
        using var dir = new TempDirectory();
        await using var server = await JoinServer.StartAsync(dir["server"]);
        var code = server.Invite("frank");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ct = TestContext.Current.CancellationToken;
        var aside = server.Home.CaKeyPath + ".aside";
        File.Move(server.Home.CaKeyPath, aside);

        var refused = await Assert.ThrowsAsync<JoinException>(() => EnrollmentClient.JoinAsync(code, key, cancellationToken: ct).WaitAsync(s_timeout, ct));

        Assert.Equal(JoinError.Unavailable, refused.Error);
        Assert.Contains("cannot issue certificates", refused.Message, StringComparison.Ordinal);
        Assert.Null(new InvitationStore(EnrollmentServer.InvitationsPath(server.Home)).Find(code.IdText)!.Used);
        Assert.False(File.Exists(server.Home.AllowListPath));

        File.Move(aside, server.Home.CaKeyPath);
        var result = await EnrollmentClient.JoinAsync(code, key, cancellationToken: ct).WaitAsync(s_timeout, ct);
        Assert.Equal("frank", result.Name);
    }

    [Fact]
    public void JoinGate_WantsTheJoinSubjectAsIssuerToo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var gate = new JoinGateVerifier(inner: null);
        var context = new PeerVerificationContext(PeerRole.Client, null, DateTimeOffset.UtcNow);
        var issuer = new System.Security.Cryptography.X509Certificates.X500DistinguishedName("CN=Some CA");

        using var signed = new CertificateRequest(JoinGateVerifier.Subject, key, HashAlgorithmName.SHA256)
            .Create(issuer, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), [1, 2, 3]);

        Assert.Throws<TrustException>(() => gate.Verify(PeerCredential.FromCertificateChain([signed.RawData]), context));
    }

    [Fact]
    public async Task AServerMayRefuseAJoinBeforeTheCodeIsUsed_AndSetUpTheMachineBeforeItHearsOfTheJoin()
    {
        using var dir = new TempDirectory();
        var joinedNames = new List<string>();
        var refuse = true;
        await using var server = await JoinServer.StartAsync(dir["server"],
            admit: (invitation, _) => refuse ? $"{invitation.Name} is taken here" : null,
            joined: (invitation, client) => joinedNames.Add(invitation.Name + " " + client.Fingerprint));
        var code = server.Invite("alice");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ct = TestContext.Current.CancellationToken;

        var refused = await Assert.ThrowsAsync<JoinException>(() => EnrollmentClient.JoinAsync(code, key, cancellationToken: ct).WaitAsync(s_timeout, ct));
        Assert.Equal(JoinError.Unavailable, refused.Error);
        Assert.Contains("alice is taken here", refused.Message, StringComparison.Ordinal);
        Assert.Empty(joinedNames);
        Assert.Null(Assert.Single(new InvitationStore(EnrollmentServer.InvitationsPath(server.Home)).All()).Used);

        refuse = false;
        var result = await EnrollmentClient.JoinAsync(code, key, cancellationToken: ct).WaitAsync(s_timeout, ct);
        Assert.Equal("alice", result.Name);
        Assert.Equal(["alice " + Fingerprint.Of(key.ExportSubjectPublicKeyInfo())], joinedNames);
    }

    [Fact]
    public async Task Join_WithAWrongSecret_IsRefused_AndRepeatedWrongCodesAreThrottled()
    {
        using var dir = new TempDirectory();
        await using var server = await JoinServer.StartAsync(dir["server"]);
        var real = server.Invite("bob");
        var ct = TestContext.Current.CancellationToken;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var wrong = real with { Secret = RandomNumberGenerator.GetBytes(JoinCode.SecretLength) };

        for (var i = 0; i < 5; i++)
        {
            var refused = await Assert.ThrowsAsync<JoinException>(() => EnrollmentClient.JoinAsync(wrong, key, cancellationToken: ct).WaitAsync(s_timeout, ct));
            Assert.Equal(JoinError.WrongCode, refused.Error);
            Assert.Contains("not valid on this server", refused.Message, StringComparison.Ordinal);
        }

        var throttled = await Assert.ThrowsAsync<JoinException>(() => EnrollmentClient.JoinAsync(real, key, cancellationToken: ct).WaitAsync(s_timeout, ct));
        Assert.Equal(JoinError.Throttled, throttled.Error);
        Assert.Null(new InvitationStore(EnrollmentServer.InvitationsPath(server.Home)).Find(real.IdText)!.Used);
    }

    [Fact]
    public async Task Join_WithAnExpiredCode_IsRefusedAsExpired()
    {
        using var dir = new TempDirectory();
        await using var server = await JoinServer.StartAsync(dir["server"]);
        var code = server.Invite("carol", created: DateTimeOffset.UtcNow - TimeSpan.FromHours(2));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ct = TestContext.Current.CancellationToken;

        var refused = await Assert.ThrowsAsync<JoinException>(() => EnrollmentClient.JoinAsync(code, key, cancellationToken: ct).WaitAsync(s_timeout, ct));

        Assert.Equal(JoinError.Expired, refused.Error);
        Assert.Contains("expired", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Join_ToAServerWhoseCaIsNotThePinnedOne_StopsBeforeSendingTheProof()
    {
        using var dir = new TempDirectory();
        await using var real = await JoinServer.StartAsync(dir["real"]);
        await using var impostor = await JoinServer.StartAsync(dir["impostor"]);
        var code = real.Invite("dave");
        var redirected = code with { Port = impostor.Port };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ct = TestContext.Current.CancellationToken;

        var refused = await Assert.ThrowsAsync<JoinException>(() => EnrollmentClient.JoinAsync(redirected, key, cancellationToken: ct).WaitAsync(s_timeout, ct));

        Assert.Equal(JoinError.PinMismatch, refused.Error);
        Assert.Contains("is not the one that made this code", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(real.Home.AllowListPath));
        Assert.Null(new InvitationStore(EnrollmentServer.InvitationsPath(real.Home)).Find(code.IdText)!.Used);
        lock (impostor.Events)
        {
            Assert.DoesNotContain(impostor.Events, e => e.Error is null);
        }
    }

    [Fact]
    public async Task FetchCrl_ReturnsTheCasCurrentList_WithoutACode_WithoutCountingAgainstTheThrottle_AndOnlyFromThatCa()
    {
        using var dir = new TempDirectory();
        await using var server = await JoinServer.StartAsync(dir["server"]);
        await using var impostor = await JoinServer.StartAsync(dir["impostor"]);
        var ct = TestContext.Current.CancellationToken;
        using (var authority = CertificateAuthority.Load(server.Home.CaDirectory))
        {
            Assert.True(authority.Revoke("0A0B0C", DateTimeOffset.UtcNow));
        }

        using var ca = CertificateFile.Read(server.Home.CaCertificatePath);
        for (var i = 0; i < 7; i++) // more than the wrong codes allowed per address
        {
            var crl = await EnrollmentClient.FetchCrlAsync("127.0.0.1", server.Port, ca, cancellationToken: ct).WaitAsync(s_timeout, ct);
            Assert.True(crl.IsRevoked("0A0B0C"));
            Assert.True(crl.IsSignedBy(ca));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var joined = await EnrollmentClient.JoinAsync(server.Invite("frank"), key, cancellationToken: ct).WaitAsync(s_timeout, ct);
        Assert.Equal("frank", joined.Name); // not throttled
        lock (server.Events)
        {
            Assert.DoesNotContain(server.Events, e => e.Error is not null); // no fetch was taken for a wrong code
        }

        // A server of another CA at that address is not asked: its certificate does not check out.
        var refused = await Assert.ThrowsAsync<JoinException>(() => EnrollmentClient.FetchCrlAsync("127.0.0.1", impostor.Port, ca, cancellationToken: ct).WaitAsync(s_timeout, ct));
        Assert.Contains("cannot fetch the revocation list from 127.0.0.1:", refused.Message, StringComparison.Ordinal);
        lock (impostor.Events)
        {
            Assert.Empty(impostor.Events);
        }
    }

    [Fact]
    public async Task Listener_NeverHandsAJoinOnlyConnectionToTheApplication()
    {
        using var dir = new TempDirectory();
        await using var server = await JoinServer.StartAsync(dir["server"]);
        var code = server.Invite("erin");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ct = TestContext.Current.CancellationToken;
        await EnrollmentClient.JoinAsync(code, key, cancellationToken: ct).WaitAsync(s_timeout, ct);

        using var none = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.Listener.AcceptAsync(none.Token).AsTask());
    }

    [Fact]
    public void JoinGate_AdmitsOnlyTheJoinRequestShape_AndSendsEverythingElseToThePolicy()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var gate = new JoinGateVerifier(inner: null);
        var context = new PeerVerificationContext(PeerRole.Client, null, DateTimeOffset.UtcNow);

        using var request = new CertificateRequest(JoinGateVerifier.Subject, key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        Assert.True(gate.Verify(PeerCredential.FromCertificateChain([request.RawData]), context).IsJoinRequest);

        using var other = new CertificateRequest("CN=mallory", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        Assert.Throws<TrustException>(() => gate.Verify(PeerCredential.FromCertificateChain([other.RawData]), context));
        Assert.Throws<TrustException>(() => gate.Verify(PeerCredential.FromRawPublicKey(key.ExportSubjectPublicKeyInfo()), context));
        Assert.Throws<TrustException>(() => gate.Verify(PeerCredential.FromCertificateChain([request.RawData]), context with { Role = PeerRole.Server }));
    }

    [Fact]
    public void JoinCode_RoundTrips_AndCatchesTypingMistakes()
    {
        var code = new JoinCode("192.168.1.20", 7022, SHA256.HashData("ca"u8), RandomNumberGenerator.GetBytes(JoinCode.IdLength), RandomNumberGenerator.GetBytes(JoinCode.SecretLength));
        var text = code.ToString();
        Assert.StartsWith(JoinCode.Prefix, text, StringComparison.Ordinal);

        var back = JoinCode.Parse("  " + text.ToLowerInvariant() + "\n");
        Assert.Equal(code.Host, back.Host);
        Assert.Equal(code.Port, back.Port);
        Assert.Equal(code.CaPin, back.CaPin);
        Assert.Equal(code.InvitationId, back.InvitationId);
        Assert.Equal(code.Secret, back.Secret);

        var swapped = text[..20] + (text[20] == 'A' ? 'B' : 'A') + text[21..];
        Assert.Contains("mistyped", Assert.Throws<JoinCodeFormatException>(() => JoinCode.Parse(swapped)).Message, StringComparison.Ordinal);
        Assert.Contains("mistyped", Assert.Throws<JoinCodeFormatException>(() => JoinCode.Parse(text[..^3])).Message, StringComparison.Ordinal);
        Assert.Contains("mistyped", Assert.Throws<JoinCodeFormatException>(() => JoinCode.Parse(text + "Q")).Message, StringComparison.Ordinal);
        Assert.Contains("not a SafeWire join code", Assert.Throws<JoinCodeFormatException>(() => JoinCode.Parse("hello")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JoinProof_VerifiesOnlyForTheSameChannelAndKey()
    {
        var secret = RandomNumberGenerator.GetBytes(JoinCode.SecretLength);
        var id = RandomNumberGenerator.GetBytes(JoinCode.IdLength);
        var verifier = JoinProof.Verifier(secret, id);
        var exporter = RandomNumberGenerator.GetBytes(JoinProof.ExporterLength);
        var spki = RandomNumberGenerator.GetBytes(91);
        var proof = JoinProof.Sign(secret, id, exporter, spki);

        Assert.True(JoinProof.Verify(verifier, exporter, spki, proof));
        Assert.False(JoinProof.Verify(verifier, RandomNumberGenerator.GetBytes(JoinProof.ExporterLength), spki, proof));
        Assert.False(JoinProof.Verify(verifier, exporter, RandomNumberGenerator.GetBytes(91), proof));
        Assert.False(JoinProof.Verify(JoinProof.Verifier(RandomNumberGenerator.GetBytes(JoinCode.SecretLength), id), exporter, spki, proof));
        Assert.Equal(verifier, JoinProof.Verifier(secret, id));
    }

    /// <summary>A home with a CA, a server certificate for 127.0.0.1 and a listener that accepts joins.</summary>
    private sealed class JoinServer : IAsyncDisposable
    {
        private readonly LocalCredential _credential;
        private readonly EnrollmentServer _enrollment;

        private JoinServer(SafeWireHome home, LocalCredential credential, SecureListener listener, EnrollmentServer enrollment)
        {
            Home = home;
            _credential = credential;
            Listener = listener;
            _enrollment = enrollment;
            enrollment.Completed += e =>
            {
                lock (Events)
                {
                    Events.Add(e);
                }
            };
        }

        public SafeWireHome Home { get; }

        public SecureListener Listener { get; }

        public List<JoinEvent> Events { get; } = [];

        public int Port => Listener.LocalEndPoint.Port;

        public static Task<JoinServer> StartAsync(string root, Func<Invitation, PeerIdentity, string?>? admit = null, Action<Invitation, PeerIdentity>? joined = null)
        {
            var home = new SafeWireHome(root);
            var credential = home.LoadOrCreateServerCredential("server", ["localhost"], [IPAddress.Loopback]);
#pragma warning disable CA2000 // the JoinServer returned owns it and disposes it
            var enrollment = new EnrollmentServer(home, new EnrollmentServerOptions { AllowListPath = home.AllowListPath, Admit = admit, Joined = joined });
#pragma warning restore CA2000
            var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), new SecureServerOptions
            {
                ServerCredential = credential,
                ClientVerifier = EnrollmentServer.Gate(home.CreateAllowListVerifier()),
                RequireClientCredential = true,
                JoinHandler = enrollment.HandleAsync,
            });
            listener.Start();
            return Task.FromResult(new JoinServer(home, credential, listener, enrollment));
        }

        public JoinCode Invite(string name, DateTimeOffset? created = null)
        {
            using var ca = Home.LoadOrCreateCa();
            return new InvitationStore(EnrollmentServer.InvitationsPath(Home)).Create(name, PeerRole.Client, [], [], "127.0.0.1", Port, ca.Fingerprint,
                created ?? DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        }

        public async ValueTask DisposeAsync()
        {
            await Listener.DisposeAsync();
            _enrollment.Dispose();
            _credential.Dispose();
        }
    }
}
