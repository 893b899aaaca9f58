using System.Net;
using SafeWire.Identity;
using SafeWire.KeyDistribution.Manager;
using SafeWire.KeyDistribution.Peer;
using SafeWire.KeyDistribution.Tests.Support;
using SafeWire.TestSupport;
using SafeWire.Transport;

namespace SafeWire.KeyDistribution.Tests;

/// <summary>The key manager under a flood of stalled connections: they take no place a real client needs.</summary>
public sealed class KmAdmissionTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly SafeWireHome _safewireHome;

    public KmAdmissionTests()
    {
        _safewireHome = new SafeWireHome(_home.Path);
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task StalledConnections_DoNotStopAClientFromSayingHello()
    {
        var ct = TestContext.Current.CancellationToken;
        using var serverCredential = _safewireHome.LoadOrCreateServerCredential("km", ["localhost"], [IPAddress.Loopback]);
        using var aliceCredential = _safewireHome.LoadOrCreateClientCredential("alice");
        var ca = _safewireHome.CreateCaVerifier();
        var km = new KeyManagerServer(new KeyManagerOptions { Log = new RecordingLog() });
        await using var listener = SecureKdChannels.CreateKeyManagerListener(new IPEndPoint(IPAddress.Loopback, 0), serverCredential, ca);
        listener.Start();
        var port = listener.LocalEndPoint.Port;
        using var stop = new CancellationTokenSource();
        var serving = km.ServeAsync(c => SecureKdChannels.AcceptKeyManagerClientAsync(listener, c), stop.Token);

        // Silent sockets and half-sent record headers from 64 other loopback addresses: more than the listener's places before the handshake.
        int count = HostileConnections.Budget(512);
        using var silent = await HostileConnections.OpenAsync(port, count / 2, perAddress: 8, subnet: 50, ReadOnlyMemory<byte>.Empty, ct);
        using var slow = await HostileConnections.OpenAsync(port, count - (count / 2), perAddress: 8, subnet: 51, new byte[] { 22, 0x57, 0x01 }, ct);

        await using (var alice = new KeyManagerClient(await new SecureKdChannels(aliceCredential, ca).ConnectKeyManagerAsync("127.0.0.1", port, ct).WaitAsync(TimeSpan.FromSeconds(30), ct)))
        {
            var welcome = await alice.HelloAsync("", ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.Equal("alice", welcome.Name);
            await alice.EndAsync(ct);
        }

        Assert.True(listener.Admission.PendingConnections <= listener.Admission.Options.MaxPendingConnections);
        await stop.CancelAsync();
        await serving.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }
}
