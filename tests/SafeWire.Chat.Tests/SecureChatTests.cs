using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Client;
using SafeWire.Chat.Server;
using SafeWire.Chat.Wire;
using SafeWire.Identity;
using SafeWire.Protocol;
using SafeWire.Transport;

namespace SafeWire.Chat.Tests;

/// <summary>The chat over the real secure channel: end-to-end direct messages, allow-list admission, hop strangers.</summary>
public sealed class SecureChatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StalledClient_GetsAPlaintextHandshakeTimeoutAlert_NotASilentClose()
    {
        using var pki = new SecureChatFixture();
        var limit = TimeSpan.FromMilliseconds(400);
        await using var harness = new ChatTestHarness(o => o.HandshakeTimeout = limit, SecureStreamAuthenticator.ForChatServer(pki.ServerCredential, new OpenAdmissionVerifier(), limit));

        // A client that connects and never sends its ClientHello.
        using var stalled = new TcpClient();
        await stalled.ConnectAsync("127.0.0.1", harness.Server.Port, TestContext.Current.CancellationToken);
        using var received = new MemoryStream();
        await stalled.GetStream().CopyToAsync(received, TestContext.Current.CancellationToken).WaitAsync(ChatTestHarness.Timeout, TestContext.Current.CancellationToken);

        // One plaintext alert record (no keys exist yet): type 21, version 0x5701, the all-zero session ID, length 2,
        // then handshake_timeout (201) with no trust reason (0xFF); then the server closes.
        byte[] expected = [21, 0x57, 0x01, .. new byte[16], 0, 2, (byte)Alert.HandshakeTimeout, 0xFF];
        Assert.Equal(expected, received.ToArray());
        await harness.WaitForEventAsync<ConnectionFailed>(f => f.Reason.Contains("not finished within", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DirectMessage_IsEndToEnd_TheServerNeverSeesThePlaintext()
    {
        using var pki = new SecureChatFixture();
        await using var harness = new ChatTestHarness(serverAuthenticator: pki.Server());
        var aliceKey = pki.Client("alice");
        var bobKey = pki.Client("bob");
        var alice = await harness.ConnectAsync("alice", pki.Direct(aliceKey), pki.ClientAuthenticator(aliceKey));
        var bob = await harness.ConnectAsync("bob", pki.Direct(bobKey), pki.ClientAuthenticator(bobKey));
        await alice.WaitForAsync<MemberJoinedMessage>(m => m.Member.Name == "bob");
        const string secret = "meet at the north gate at 21:40";

        var answeredBy = await alice.Client.SendDirectAsync("bob", secret, Ct).WaitAsync(ChatTestHarness.Timeout, Ct);

        Assert.Equal(bobKey.Fingerprint, answeredBy?.Fingerprint);
        await ChatTestHarness.Until(() => !bob.Direct.IsEmpty, "bob's direct message");
        var received = bob.Direct.First();
        Assert.Equal(secret, received.Text);
        Assert.Equal(aliceKey.Fingerprint, received.Verified?.Fingerprint);
        Assert.Equal("alice", received.From.Name);

        // A second one reuses nothing: a fresh session; the first session's late close_notify starts nothing.
        await alice.Client.SendDirectAsync("bob", "second", Ct).WaitAsync(ChatTestHarness.Timeout, Ct);
        await bob.Client.SendDirectAsync("alice", "reply", Ct).WaitAsync(ChatTestHarness.Timeout, Ct);
        await ChatTestHarness.Until(() => bob.Direct.Count == 2 && alice.Direct.Count == 1, "all direct messages");
        await Task.Delay(200, Ct);
        Assert.Empty(bob.DirectFailures);
        Assert.Empty(alice.DirectFailures);

        var frames = harness.ServerFrames.ToArray();
        Assert.Contains(frames, f => f[0] == (byte)ChatFrameType.DirectData); // it did relay the session
        var needle = Encoding.UTF8.GetBytes(secret);
        Assert.DoesNotContain(frames, f => f.AsSpan().IndexOf(needle) >= 0);
        Assert.DoesNotContain(frames, f => f.AsSpan().IndexOf(Encoding.UTF8.GetBytes("north gate")) >= 0);
        Assert.True(harness.Server.Stats().DirectBytesRelayed > needle.Length);
    }

    [Fact]
    public async Task DirectMessage_FromAPeerOutsideTheCa_IsRejectedByTheReceiver()
    {
        using var pki = new SecureChatFixture();
        await using var harness = new ChatTestHarness(serverAuthenticator: pki.Server());
        var bobKey = pki.Client("bob");
        var outsider = pki.Client("mallory", new SafeWireHome(pki["other-home"])); // another CA
        var bob = await harness.ConnectAsync("bob", pki.Direct(bobKey), pki.ClientAuthenticator(bobKey));
        var mallory = await harness.ConnectAsync("mallory", pki.Direct(outsider), pki.ClientAuthenticator(outsider));
        await ChatTestHarness.Until(() => mallory.Client.Members.Any(m => m.Name == "bob"), "mallory to see bob");

        // Both ends check each other: bob refuses mallory's certificate; mallory's own check of bob fails as well.
        await Assert.ThrowsAnyAsync<IOException>(() => mallory.Client.SendDirectAsync("bob", "trust me", Ct).WaitAsync(ChatTestHarness.Timeout, Ct));

        Assert.Empty(bob.Direct);
        Assert.Equal(1u, (await bob.Client.SendAsync("still fine", Ct).WaitAsync(ChatTestHarness.Timeout, Ct)).DeliveredTo);
    }

    [Fact]
    public async Task OpenMode_AClientWithoutAKeyIsRefused_AClientWithOneJoinsUnderItsKey()
    {
        using var pki = new SecureChatFixture();
        var aliceKey = pki.Client("alice");
        await using var harness = new ChatTestHarness(serverAuthenticator: pki.Server());

        var keyless = new SecureStreamAuthenticator(null, new SecureClientOptions { ServerVerifier = pki.CaVerifier });
        var e = await Assert.ThrowsAsync<SecureChannelException>(() => harness.ConnectAsync("anonymous", authenticator: keyless));
        Assert.Equal(Alert.CertificateRequired, e.Alert);
        Assert.True(e.SentByPeer);

        var alice = await harness.ConnectAsync("alice", authenticator: pki.ClientAuthenticator(aliceKey));
        var member = Assert.Single(harness.Server.List());
        Assert.Equal(aliceKey.Fingerprint, member.Fingerprint);
        Assert.Equal("alice", alice.Client.Name);
    }

    [Fact]
    public async Task AllowList_OnlyListedKeysGetIn_OthersFailTheHandshakeWithTheReason()
    {
        using var pki = new SecureChatFixture();
        var aliceKey = pki.Client("alice");
        var carolKey = pki.Client("carol");
        var allow = new AllowListVerifier(new AllowList([new AllowListEntry(aliceKey.Fingerprint, "alice")]));
        await using var harness = new ChatTestHarness(serverAuthenticator: pki.Server(allow));

        var alice = await harness.ConnectAsync("someone-else", authenticator: pki.ClientAuthenticator(aliceKey));
        Assert.Equal("alice", alice.Client.Name); // the allow-list name wins over the requested one

        var e = await Assert.ThrowsAsync<SecureChannelException>(() => harness.ConnectAsync("carol", authenticator: pki.ClientAuthenticator(carolKey)));
        Assert.Equal(TrustFailureReason.NotOnAllowList, e.TrustFailure);
        await harness.WaitForEventAsync<ConnectionFailed>(f => f.Reason.Contains("handshake failed", StringComparison.Ordinal));
        Assert.Single(harness.Server.List());
    }

    [Fact]
    public async Task PortHopping_OverSecureStream_AStrangerWithAValidCertificateButNoProof_IsDropped()
    {
        using var pki = new SecureChatFixture();
        await using var harness = new ChatTestHarness(o => o.HopPorts = new PortRange(30000, 39999), pki.Server());
        var aliceKey = pki.Client("alice");
        var strangerKey = pki.Client("stranger");

        using var control = new TcpClient();
        await control.ConnectAsync("127.0.0.1", harness.Server.Port, Ct);
        var controlChannel = await pki.ClientAuthenticator(aliceKey).AuthenticateAsClientAsync(control.GetStream(), "127.0.0.1", Ct);
        var controlFramer = new ChatFramer(controlChannel.Stream);
        await controlFramer.WriteAsync(new HelloMessage("alice"), Ct);
        var offer = Assert.IsType<HopOfferMessage>(await controlFramer.ReadAsync(Ct));

        using (var stranger = new TcpClient())
        {
            await stranger.ConnectAsync("127.0.0.1", offer.Port, Ct);
            var channel = await pki.ClientAuthenticator(strangerKey).AuthenticateAsClientAsync(stranger.GetStream(), "127.0.0.1", Ct);
            var framer = new ChatFramer(channel.Stream);
            await framer.WriteAsync(new HopProofMessage(RandomNumberGenerator.GetBytes(ChatLimits.HopProofLength)), Ct);
            Assert.Equal(RefusalReason.HopProofInvalid, Assert.IsType<RefusedMessage>(await framer.ReadAsync(Ct)).Reason);
        }

        await harness.WaitForEventAsync<ConnectionFailed>(f => f.LocalPort == offer.Port && f.Reason.Contains("unproven", StringComparison.Ordinal));

        using var hop = new TcpClient();
        await hop.ConnectAsync("127.0.0.1", offer.Port, Ct);
        var hopChannel = await pki.ClientAuthenticator(aliceKey).AuthenticateAsClientAsync(hop.GetStream(), "127.0.0.1", Ct);
        var hopFramer = new ChatFramer(hopChannel.Stream);
        var proof = new byte[ChatLimits.HopProofLength];
        Session.HopProof.Compute(controlChannel, offer.Port, proof);
        await hopFramer.WriteAsync(new HopProofMessage(proof), Ct);
        Assert.IsType<WelcomeMessage>(await hopFramer.ReadAsync(Ct));
        Assert.Equal(offer.Port, harness.Server.List().Single().LocalPort);
    }

    [Fact]
    public async Task ChatOverSecureStream_WithHopping_EndToEnd()
    {
        using var pki = new SecureChatFixture();
        await using var harness = new ChatTestHarness(o => o.HopPorts = new PortRange(30000, 39999), pki.Server());
        var aliceKey = pki.Client("alice");
        var bobKey = pki.Client("bob");
        var alice = await harness.ConnectAsync("alice", pki.Direct(aliceKey), pki.ClientAuthenticator(aliceKey));
        var bob = await harness.ConnectAsync("bob", pki.Direct(bobKey), pki.ClientAuthenticator(bobKey));

        Assert.True(alice.Client.Hopped && bob.Client.Hopped);
        Assert.Equal(pki.ServerCredential.Fingerprint, alice.Client.ServerIdentity?.Fingerprint);
        Assert.Equal(1u, (await alice.Client.SendAsync("over two handshakes", Ct).WaitAsync(ChatTestHarness.Timeout, Ct)).DeliveredTo);
        await bob.WaitForAsync<RelayedMessage>(m => m.Text == "over two handshakes");
        await alice.Client.SendDirectAsync("bob", "and a third one", Ct).WaitAsync(ChatTestHarness.Timeout, Ct);
        await ChatTestHarness.Until(() => bob.Direct.Any(d => d.Text == "and a third one"), "the direct message");
    }
}
