using System.Net.Sockets;
using System.Security.Cryptography;
using SafeWire.Chat.Server;
using SafeWire.Chat.Session;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Tests;

public sealed class PortHoppingTests
{
    private static readonly PortRange s_range = new(30000, 39999);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Client_MovesToTheOfferedPort_AndTheConversationContinuesThere()
    {
        await using var harness = new ChatTestHarness(o => o.HopPorts = s_range);
        var alice = await harness.ConnectAsync("alice");
        var bob = await harness.ConnectAsync("bob");

        Assert.True(alice.Client.Hopped);
        Assert.Equal(harness.Server.Port, alice.Client.ControlPort);
        Assert.InRange(alice.Client.Port, s_range.Low, s_range.High);
        Assert.NotEqual(alice.Client.Port, bob.Client.Port);
        Assert.Equal(alice.Client.Port, harness.Server.List().Single(c => c.Name == "alice").LocalPort);
        await harness.WaitForEventAsync<HopCompleted>(e => e.Name == "alice" && e.HopPort == alice.Client.Port);

        Assert.Equal(1u, (await alice.Client.SendAsync("from the hop port", Ct).WaitAsync(ChatTestHarness.Timeout, Ct)).DeliveredTo);
        await bob.WaitForAsync<RelayedMessage>(m => m.Text == "from the hop port");
    }

    [Fact]
    public async Task AStrangerOnTheHopPort_IsDropped_TheRealClientStillGetsIn()
    {
        await using var harness = new ChatTestHarness(o => o.HopPorts = s_range);
        var (controlTcp, control, controlFramer) = await OpenAsync(harness.Server.Port, "alice");
        using var _ = controlTcp;
        await controlFramer.WriteAsync(new HelloMessage("alice"), Ct);
        var offer = Assert.IsType<HopOfferMessage>(await controlFramer.ReadAsync(Ct));

        // The stranger gets there first with a proof it cannot have computed.
        var (strangerTcp, _, strangerFramer) = await OpenAsync(offer.Port, "alice");
        using (strangerTcp)
        {
            await strangerFramer.WriteAsync(new HopProofMessage(RandomNumberGenerator.GetBytes(ChatLimits.HopProofLength)), Ct);
            var refused = Assert.IsType<RefusedMessage>(await strangerFramer.ReadAsync(Ct));
            Assert.Equal(RefusalReason.HopProofInvalid, refused.Reason);
            Assert.Null(await strangerFramer.ReadAsync(Ct));
        }

        await harness.WaitForEventAsync<ConnectionFailed>(e => e.LocalPort == offer.Port && e.Reason.Contains("unproven", StringComparison.Ordinal));

        var (hopTcp, _, hopFramer) = await OpenAsync(offer.Port, "alice");
        using (hopTcp)
        {
            var proof = new byte[ChatLimits.HopProofLength];
            HopProof.Compute(control, offer.Port, proof);
            await hopFramer.WriteAsync(new HopProofMessage(proof), Ct);
            var welcome = Assert.IsType<WelcomeMessage>(await hopFramer.ReadAsync(Ct));
            Assert.Equal("alice", welcome.Name);
        }
    }

    [Fact]
    public async Task AProofFromAnotherSession_IsRefused()
    {
        await using var harness = new ChatTestHarness(o => o.HopPorts = s_range);
        var (tcp1, control1, framer1) = await OpenAsync(harness.Server.Port, "alice");
        var (tcp2, _, framer2) = await OpenAsync(harness.Server.Port, "bob");
        using var d1 = tcp1;
        using var d2 = tcp2;
        await framer1.WriteAsync(new HelloMessage("alice"), Ct);
        await framer2.WriteAsync(new HelloMessage("bob"), Ct);
        var offer1 = Assert.IsType<HopOfferMessage>(await framer1.ReadAsync(Ct));
        var offer2 = Assert.IsType<HopOfferMessage>(await framer2.ReadAsync(Ct));

        // Alice's valid proof for her port, replayed on bob's port, is worthless there.
        var proof = new byte[ChatLimits.HopProofLength];
        HopProof.Compute(control1, offer1.Port, proof);
        var (tcp3, _, framer3) = await OpenAsync(offer2.Port, "bob");
        using var d3 = tcp3;
        await framer3.WriteAsync(new HopProofMessage(proof), Ct);
        Assert.IsType<RefusedMessage>(await framer3.ReadAsync(Ct));
    }

    [Fact]
    public async Task AnUnusedHopPort_ClosesAfterTheTimeout()
    {
        await using var harness = new ChatTestHarness(o =>
        {
            o.HopPorts = s_range;
            o.HopTimeout = TimeSpan.FromMilliseconds(300);
        });
        var (tcp, _, framer) = await OpenAsync(harness.Server.Port, "idle");
        using var d = tcp;
        await framer.WriteAsync(new HelloMessage("idle"), Ct);
        var offer = Assert.IsType<HopOfferMessage>(await framer.ReadAsync(Ct));

        await harness.WaitForEventAsync<ClientRefused>(e => e.Reason.Contains($"hop port {offer.Port} closed", StringComparison.Ordinal));
        using var late = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(async () => await late.ConnectAsync("127.0.0.1", offer.Port, Ct));
        Assert.Null(await framer.ReadAsync(Ct)); // the control connection is closed too
    }

    private static async Task<(TcpClient, Channels.IChatChannel, ChatFramer)> OpenAsync(int port, string name)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port, Ct);
        var channel = await new InsecureTestAuthenticator(name).AuthenticateAsClientAsync(tcp.GetStream(), "server", Ct);
        return (tcp, channel, new ChatFramer(channel.Stream));
    }
}
