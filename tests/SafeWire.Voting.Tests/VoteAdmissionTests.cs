using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.TestSupport;
using SafeWire.Transport;

namespace SafeWire.Voting.Tests;

/// <summary>The voting server under a flood of silent connections: they take no voter's place.</summary>
public sealed class VoteAdmissionTests
{
    [Fact]
    public async Task SilentSockets_DoNotBlockAVoter()
    {
        var ct = TestContext.Current.CancellationToken;
        using var election = await CliElection.CreateAsync(candidates: 3, maxScore: 5, voters: 1);
        var port = FreePort.Next();
        // As many silent sockets as the server has voter places: the original server counted them before the handshake.
        await using var server = await election.StartServerAsync("--port", port.ToString(CultureInfo.InvariantCulture), "--max-clients", "256");
        using var silent = await HostileConnections.OpenAsync(port, 256, perAddress: 8, subnet: 40, ReadOnlyMemory<byte>.Empty, ct);

        var cast = await election.RunAsync("vote", "cast", $"127.0.0.1:{port}", "--credential", election.Credential("1"), "--ballot", "543");

        Assert.True(cast.ExitCode == 0, cast.Output + cast.Error);
        Assert.Contains("yes: ballot counted", cast.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVoterToldTheServerIsBusy_RetriesWithBackoff_AndGetsIn()
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempDirectory();
        var safeHome = new SafeWireHome(home.Path);
        using var credential = safeHome.LoadOrCreateServerCredential("vote-server", ["localhost"], [IPAddress.Loopback]);
        // One place before the handshake per address, taken by a silent socket for its first second.
        var admission = new AdmissionOptions { MaxPendingPerAddress = 1, FirstBytesTimeout = TimeSpan.FromSeconds(1) };
        await using var listener = VoteTransport.CreateListener(new IPEndPoint(IPAddress.Loopback, 0), credential, admission);
        listener.Start();
        var serving = listener.ServeAsync(async (connection, stop) => await connection.Stream.WriteAsync("hi"u8.ToArray(), stop), ct);
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, listener.LocalEndPoint.Port, ct);
        for (int i = 0; i < 200 && listener.Admission.PendingConnections == 0; i++)
        {
            await Task.Delay(25, ct);
        }

        var waits = new List<(Alert Alert, TimeSpan Wait)>();
        var verifier = VoteTransport.ServerVerifier(VoteTransport.CaCertificatePem(safeHome), safeHome);
        await using var stream = await VoteTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port, verifier, "127.0.0.1", VoteTransport.BusyAttempts, (e, wait) => waits.Add((e.Alert, wait)), ct);

        Assert.NotEmpty(waits);
        Assert.Equal(Alert.ServerBusy, waits[0].Alert);
        Assert.True(waits.Count < 2 || waits[1].Wait > waits[0].Wait - TimeSpan.FromMilliseconds(250), "the waits grow");
        var hi = new byte[2];
        await stream.ReadExactlyAsync(hi, ct);
        Assert.Equal("hi"u8.ToArray(), hi);
        await listener.DisposeAsync();
        await serving;
    }
}
