using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SafeWire.Identity;
using SafeWire.KeyDistribution.Manager;
using SafeWire.KeyDistribution.Peer;
using SafeWire.KeyDistribution.Tests.Support;
using SafeWire.KeyDistribution.Wire;
using SafeWire.TestSupport;
using SafeWire.Transport;

namespace SafeWire.KeyDistribution.Tests;

/// <summary>The same flow over real SafeWire channels with certificates from a home CA.</summary>
public sealed class SecureFlowTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly SafeWireHome _safewireHome;

    public SecureFlowTests()
    {
        _safewireHome = new SafeWireHome(_home.Path);
    }

    public void Dispose() => _home.Dispose();

    /// <summary>Wraps the peers' e2e channels to take a 32-byte exporter value from each session: a witness of its keys.</summary>
    private sealed class WitnessChannels(IKdChannels inner) : IKdChannels
    {
        public byte[]? Witness { get; private set; }

        public Task<AuthenticatedChannel> ConnectKeyManagerAsync(string host, int port, CancellationToken cancellationToken) => inner.ConnectKeyManagerAsync(host, port, cancellationToken);

        public async Task<AuthenticatedChannel> SecurePeerAsClientAsync(Socket socket, string expectedFingerprint, CancellationToken cancellationToken) =>
            Take(await inner.SecurePeerAsClientAsync(socket, expectedFingerprint, cancellationToken));

        public async Task<AuthenticatedChannel> SecurePeerAsServerAsync(Socket socket, string expectedFingerprint, CancellationToken cancellationToken) =>
            Take(await inner.SecurePeerAsServerAsync(socket, expectedFingerprint, cancellationToken));

        private AuthenticatedChannel Take(AuthenticatedChannel channel)
        {
            Witness = new byte[32];
            ((SecureStream)channel.Stream).ExportKeyingMaterial("test witness", [], Witness);
            return channel;
        }
    }

    [Theory]
    [InlineData(TransferMode.E2e)]
    [InlineData(TransferMode.Cbc)]
    public async Task OverSafeWire_FileArrives_AndInE2eTheKeyManagerNeverHandlesSessionKeys(TransferMode mode)
    {
        using var serverCredential = _safewireHome.LoadOrCreateServerCredential("km", ["localhost"], [IPAddress.Loopback]);
        using var aliceCredential = _safewireHome.LoadOrCreateClientCredential("alice");
        using var bobCredential = _safewireHome.LoadOrCreateClientCredential("bob");
        var ca = _safewireHome.CreateCaVerifier();
        var log = new RecordingLog();
        var journal = new FrameJournal();
        var km = new KeyManagerServer(new KeyManagerOptions { Log = log, Journal = _ => journal });
        await using var listener = SecureKdChannels.CreateKeyManagerListener(new IPEndPoint(IPAddress.Loopback, 0), serverCredential, ca);
        listener.Start();
        var port = listener.LocalEndPoint.Port;
        using var stop = new CancellationTokenSource();
        var serving = km.ServeAsync(ct => SecureKdChannels.AcceptKeyManagerClientAsync(listener, ct), stop.Token);

        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var file = source["report.bin"];
        File.WriteAllBytes(file, RandomNumberGenerator.GetBytes(300_000));
        var ct = Timeouts.Token(60);
        var aliceChannels = new WitnessChannels(new SecureKdChannels(aliceCredential, ca));
        var bobChannels = new WitnessChannels(new SecureKdChannels(bobCredential, ca));
        await using (var bob = new KeyManagerClient(await bobChannels.ConnectKeyManagerAsync("127.0.0.1", port, ct)))
        await using (var alice = new KeyManagerClient(await aliceChannels.ConnectKeyManagerAsync("127.0.0.1", port, ct)))
        {
            var bobWelcome = await bob.HelloAsync("", ct);
            Assert.Equal("bob", bobWelcome.Name);
            Assert.Equal(bobCredential.Fingerprint, bobWelcome.Fingerprint);
            await alice.HelloAsync("", ct);
            await bob.WaitAsync(ct);
            Assert.Single(await alice.ListWaitingAsync(ct));
            var bobPaired = bob.AwaitPairingAsync(ct);
            var paired = await alice.ConnectAsync("bob", mode, ct);
            var receiverUi = new RecordingUi(offer => target[offer.FileName]);
            var receiving = new PeerRunner(bob, bobChannels, receiverUi, TimeProvider.System).RunReceiverAsync(await bobPaired, new ListenSettings(), ct);
            var senderUi = new RecordingUi(_ => null);
            var (senderVerdict, _) = await new PeerRunner(alice, aliceChannels, senderUi, TimeProvider.System).RunSenderAsync(paired, _ => ValueTask.FromResult<IReadOnlyList<string>>([file]), ct);
            var (receiverVerdict, _) = await receiving;

            Assert.True(senderVerdict.Kind == VerdictKind.Match, senderVerdict.Text + "\n" + senderUi.Text + "\n" + receiverUi.Text);
            Assert.Equal(VerdictKind.Match, receiverVerdict.Kind);
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(target["report.bin"]));

            var handled = journal.Frames.ToArray();
            Assert.Contains(handled, f => f.Type == KdMessageType.Paired);
            if (mode == TransferMode.E2e)
            {
                // Both peers derived the same session secret; nothing the key manager read or wrote contains it,
                // it never issued or relayed key material, and its record of the transfer holds none.
                Assert.NotNull(aliceChannels.Witness);
                Assert.Equal(aliceChannels.Witness, bobChannels.Witness);
                Assert.DoesNotContain(handled, f => f.Type == KdMessageType.KeyGrant);
                Assert.DoesNotContain(handled, f => f.Body.AsSpan().IndexOf(aliceChannels.Witness!.AsSpan(0, 8)) >= 0);
                var check = senderUi.Lines.First(l => l.Contains("session check", StringComparison.Ordinal));
                Assert.Contains(check[^11..], receiverUi.Text, StringComparison.Ordinal);
                Assert.DoesNotContain(handled, f => Encoding.UTF8.GetString(f.Body).Contains(check[^11..], StringComparison.Ordinal));
                Assert.False(Assert.Single(km.Transfers).KeysIssued);
            }
            else
            {
                Assert.Equal(2, handled.Count(f => f.Outgoing && f.Type == KdMessageType.KeyGrant));
                Assert.Null(aliceChannels.Witness);
            }

            await alice.EndAsync(ct);
            await bob.EndAsync(ct);
        }

        await stop.CancelAsync();
        await serving.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ClientWithoutCertificateFromTheHomeCa_IsTurnedAway()
    {
        using var serverCredential = _safewireHome.LoadOrCreateServerCredential("km", ["localhost"], [IPAddress.Loopback]);
        using var otherHome = new TempDirectory();
        var foreign = new SafeWireHome(otherHome.Path);
        using var mallory = foreign.LoadOrCreateClientCredential("mallory");
        var log = new RecordingLog();
        var km = new KeyManagerServer(new KeyManagerOptions { Log = log });
        await using var listener = SecureKdChannels.CreateKeyManagerListener(new IPEndPoint(IPAddress.Loopback, 0), serverCredential, _safewireHome.CreateCaVerifier());
        var refused = new TaskCompletionSource<SecureChannelException>();
        listener.HandshakeFailed += (_, e) => refused.TrySetResult(e);
        listener.Start();
        var port = listener.LocalEndPoint.Port;
        using var stop = new CancellationTokenSource();
        var serving = km.ServeAsync(ct => SecureKdChannels.AcceptKeyManagerClientAsync(listener, ct), stop.Token);

        // Mallory trusts the real CA for the server but holds a certificate from another CA.
        var channels = new SecureKdChannels(mallory, _safewireHome.CreateCaVerifier());
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await using var client = new KeyManagerClient(await channels.ConnectKeyManagerAsync("127.0.0.1", port, Timeouts.Token()));
            await client.HelloAsync("mallory", Timeouts.Token());
        });
        var failure = await refused.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(TrustFailureReason.UntrustedIssuer, failure.TrustFailure);
        Assert.DoesNotContain("open", log.Text, StringComparison.Ordinal);

        await stop.CancelAsync();
        await serving.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
