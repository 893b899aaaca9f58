using System.Net.Sockets;
using SafeWire.Chat.Client;
using SafeWire.Chat.Server;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Tests;

public sealed class ChatServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Chat_IsShownOnTheServer_RelayedToOthers_AndAcknowledged()
    {
        await using var harness = new ChatTestHarness();
        var alice = await harness.ConnectAsync("alice");
        var bob = await harness.ConnectAsync("bob");
        await alice.WaitForAsync<MemberJoinedMessage>(m => m.Member.Name == "bob");

        var ack = await alice.Client.SendAsync("hello bob", Ct).WaitAsync(ChatTestHarness.Timeout, Ct);

        Assert.Equal(1u, ack.DeliveredTo);
        await bob.WaitForAsync<RelayedMessage>(m => m.Text == "hello bob" && m.FromName == "alice" && m.FromId == alice.Client.ClientId);
        await harness.WaitForEventAsync<MessageReceived>(e => e.Text == "hello bob" && e.Name == "alice" && e.ClientId == alice.Client.ClientId);
        Assert.DoesNotContain(alice.Received, m => m is RelayedMessage);
    }

    [Fact]
    public async Task Who_ListsEverybody_AndWelcomeListsThoseAlreadyThere()
    {
        await using var harness = new ChatTestHarness();
        var alice = await harness.ConnectAsync("alice");
        var bob = await harness.ConnectAsync("bob");

        Assert.Equal(["alice"], bob.Client.Members.Select(m => m.Name));
        var who = await bob.Client.WhoAsync(Ct).WaitAsync(ChatTestHarness.Timeout, Ct);
        Assert.Equal(["alice", "bob"], who.Select(m => m.Name));
        Assert.Equal("SHA256:test-alice", who[0].Fingerprint);
    }

    [Fact]
    public async Task MaxClients_TheNextClientIsRefusedWithServerFull()
    {
        await using var harness = new ChatTestHarness(o => o.MaxClients = 2);
        await harness.ConnectAsync("a");
        await harness.ConnectAsync("b");

        var e = await Assert.ThrowsAsync<ChatRefusedException>(() => harness.ConnectAsync("c"));

        Assert.Equal(RefusalReason.ServerFull, e.Reason);
        Assert.Contains("server full", e.Message, StringComparison.Ordinal);
        await harness.WaitForEventAsync<ClientRefused>(r => r.Reason.Contains("server full", StringComparison.Ordinal));
        Assert.Equal(2, harness.Server.List().Count);
    }

    [Fact]
    public async Task Kick_TheClientSeesTheReason_OthersSeeItLeave()
    {
        await using var harness = new ChatTestHarness();
        var alice = await harness.ConnectAsync("alice");
        var bob = await harness.ConnectAsync("bob");

        Assert.True(harness.Server.Kick(bob.Client.ClientId, "flooding"));

        var exit = await bob.Run.WaitAsync(ChatTestHarness.Timeout, Ct);
        Assert.Equal(ClientExitReason.Kicked, exit.Reason);
        Assert.Contains("flooding", exit.Message, StringComparison.Ordinal);
        await alice.WaitForAsync<MemberLeftMessage>(m => m.Member.Name == "bob" && m.Reason.Contains("flooding", StringComparison.Ordinal));
        Assert.False(harness.Server.Kick(999, "nobody"));
        Assert.Equal(1u, (await alice.Client.SendAsync("still here", Ct).WaitAsync(ChatTestHarness.Timeout, Ct)).MessageId);
    }

    [Fact]
    public async Task Broadcast_ReachesEveryClient()
    {
        await using var harness = new ChatTestHarness();
        var alice = await harness.ConnectAsync("alice");
        var bob = await harness.ConnectAsync("bob");

        Assert.Equal(2, harness.Server.Broadcast("maintenance at noon"));

        await alice.WaitForAsync<BroadcastMessage>(m => m.Text == "maintenance at noon");
        await bob.WaitForAsync<BroadcastMessage>(m => m.Text == "maintenance at noon");
    }

    [Fact]
    public async Task Stop_TellsEveryClient_AndCompletes()
    {
        var harness = new ChatTestHarness();
        var alice = await harness.ConnectAsync("alice");
        var bob = await harness.ConnectAsync("bob");

        await harness.Server.StopAsync("maintenance", Ct).WaitAsync(ChatTestHarness.Timeout, Ct);

        foreach (var client in new[] { alice, bob })
        {
            var exit = await client.Run.WaitAsync(ChatTestHarness.Timeout, Ct);
            Assert.Equal(ClientExitReason.ServerStopped, exit.Reason);
            Assert.Contains("maintenance", exit.Message, StringComparison.Ordinal);
        }

        Assert.True(harness.Server.Completion.IsCompleted);
        await harness.DisposeAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stop_WhenCancelled_CutsOffClientsThatDoNotLeave_InsteadOfWaitingTheDrainTime(bool cancelledBeforeStop)
    {
        // The client below never reads, so it never sees ServerStopping and never leaves on its own:
        // without cancellation the server would wait the whole (one day) drain time before cutting it off.
        await using var harness = new ChatTestHarness(o => o.DrainTimeout = TimeSpan.FromDays(1));
        await using var silent = await ChatClient.ConnectAsync("127.0.0.1", harness.Server.Port, new ChatClientOptions
        {
            Name = "silent",
            Authenticator = new InsecureTestAuthenticator("silent"),
            ConnectTimeout = ChatTestHarness.Timeout,
        }, Ct).WaitAsync(ChatTestHarness.Timeout, Ct);
        await harness.WaitForEventAsync<ClientJoined>(e => e.Client.Name == "silent");

        using var cut = new CancellationTokenSource();
        if (cancelledBeforeStop)
        {
            await cut.CancelAsync();
        }

        var stop = harness.Server.StopAsync("maintenance", cut.Token);
        await cut.CancelAsync();
        await stop.WaitAsync(ChatTestHarness.Timeout, Ct);

        Assert.True(harness.Server.Completion.IsCompletedSuccessfully);
        Assert.Empty(harness.Server.List());
    }

    [Fact]
    public async Task Quit_WhenCancelled_Throws_AndStillClosesTheSendingSide()
    {
        await using var harness = new ChatTestHarness();
        var alice = await harness.ConnectAsync("alice");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => alice.Client.QuitAsync(cancelled.Token));

        // The goodbye was not written, but the client closed its sending side: the server sees it go.
        await harness.WaitForEventAsync<ClientLeft>(e => e.Client.Name == "alice");
    }

    [Fact]
    public async Task Stats_AndList_CountWhatHappened()
    {
        await using var harness = new ChatTestHarness();
        var alice = await harness.ConnectAsync("alice");
        await harness.ConnectAsync("bob");
        await alice.Client.SendAsync("one", Ct).WaitAsync(ChatTestHarness.Timeout, Ct);

        var stats = harness.Server.Stats();
        Assert.Equal(2, stats.Connected);
        Assert.Equal(1, stats.MessagesRelayed);
        Assert.True(stats.BytesIn > 0 && stats.BytesOut > 0);
        var row = harness.Server.List().Single(c => c.Name == "alice");
        Assert.Equal(1, row.MessagesIn);
        Assert.Equal("SHA256:test-alice", row.Fingerprint);
        Assert.Equal(harness.Server.Port, row.LocalPort);
        Assert.True(row.BytesIn > 0);
    }

    [Fact]
    public async Task Garbage_AbruptDisconnects_AndStalledHandshakes_DoNotDisturbOthers()
    {
        await using var harness = new ChatTestHarness(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(500));
        var alice = await harness.ConnectAsync("alice");
        var bob = await harness.ConnectAsync("bob");

        // Garbage instead of a handshake; a connection that never finishes; one that vanishes at once.
        using var garbage = new TcpClient();
        await garbage.ConnectAsync("127.0.0.1", harness.Server.Port, Ct);
        await garbage.GetStream().WriteAsync(Enumerable.Repeat((byte)0xFF, 64).ToArray(), Ct);
        using var stalled = new TcpClient();
        await stalled.ConnectAsync("127.0.0.1", harness.Server.Port, Ct);
        using (var abrupt = new TcpClient())
        {
            await abrupt.ConnectAsync("127.0.0.1", harness.Server.Port, Ct);
            abrupt.Client.LingerState = new LingerOption(true, 0); // RST
        }

        await harness.WaitForEventAsync<ConnectionFailed>(e => e.Reason.Contains("not finished within", StringComparison.Ordinal));
        await harness.WaitForEventAsync<ConnectionFailed>(e => e.Reason.Contains("garbage", StringComparison.Ordinal));

        var ack = await alice.Client.SendAsync("unaffected", Ct).WaitAsync(ChatTestHarness.Timeout, Ct);
        Assert.Equal(1u, ack.DeliveredTo);
        await bob.WaitForAsync<RelayedMessage>(m => m.Text == "unaffected");
        Assert.Equal(2, harness.Server.List().Count);
    }

    [Fact]
    public async Task AClientThatBreaksTheProtocol_IsDisconnected_OthersStay()
    {
        await using var harness = new ChatTestHarness();
        var alice = await harness.ConnectAsync("alice");

        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", harness.Server.Port, Ct);
        var channel = await new InsecureTestAuthenticator("mallory").AuthenticateAsClientAsync(tcp.GetStream(), "server", Ct);
        var framer = new ChatFramer(channel.Stream);
        await framer.WriteAsync(new HelloMessage("mallory"), Ct);
        Assert.IsType<WelcomeMessage>(await framer.ReadAsync(Ct));
        await framer.WriteAsync(new RelayedMessage(1, "alice", DateTimeOffset.UnixEpoch, "forged"), Ct); // a server-only frame

        await harness.WaitForEventAsync<ClientLeft>(e => e.Client.Name == "mallory" && e.Reason.Contains("may not send Relayed", StringComparison.Ordinal));
        Assert.DoesNotContain(alice.Received, m => m is RelayedMessage r && r.Text == "forged");
        Assert.Equal(0u, (await alice.Client.SendAsync("fine", Ct).WaitAsync(ChatTestHarness.Timeout, Ct)).DeliveredTo);
    }

    [Fact]
    public async Task SendOnlyClients_GetNoRelays_AndAreNotCountedAsRecipients()
    {
        await using var harness = new ChatTestHarness();
        var listener = await harness.ConnectAsync("listener");
        var script = await ChatClient.ConnectAsync("127.0.0.1", harness.Server.Port, new ChatClientOptions
        {
            Name = "script",
            SendOnly = true,
            Authenticator = new InsecureTestAuthenticator("script"),
        }, Ct);
        await using var scriptClient = new TestClient(script);

        Assert.Equal(0u, (await listener.Client.SendAsync("to everyone who listens", Ct).WaitAsync(ChatTestHarness.Timeout, Ct)).DeliveredTo);
        Assert.Equal(1u, (await script.SendAsync("from the script", Ct).WaitAsync(ChatTestHarness.Timeout, Ct)).DeliveredTo);
        await listener.WaitForAsync<RelayedMessage>(m => m.Text == "from the script");
        Assert.DoesNotContain(scriptClient.Received, m => m is RelayedMessage);
    }

    [Fact]
    public async Task NamesAreMadeUnique()
    {
        await using var harness = new ChatTestHarness();
        var first = await harness.ConnectAsync("sam");
        var second = await harness.ConnectAsync("sam");
        Assert.Equal("sam", first.Client.Name);
        Assert.Equal("sam-2", second.Client.Name);
    }

    [Fact]
    public async Task AClientThatStopsReading_IsCutOffWhenItsQueueFills_AndTheServerCarriesOn()
    {
        await using var harness = new ChatTestHarness(o => o.MaxQueuedFrames = 8);
        // Connected but never reading: once the socket buffers are full the server's writer blocks and the queue fills.
        await using var stalled = await ChatClient.ConnectAsync("127.0.0.1", harness.Server.Port, new ChatClientOptions
        {
            Name = "stalled",
            Authenticator = new InsecureTestAuthenticator("stalled"),
            ConnectTimeout = ChatTestHarness.Timeout,
        }, Ct);
        var text = new string('x', ChatLimits.MaxTextBytes);
        for (var i = 0; i < 20_000 && harness.Server.Broadcast(text) == 1; i++)
        {
            if (i % 32 == 31)
            {
                await Task.Delay(1, Ct); // let the writer push into the socket
            }
        }

        await harness.WaitForEventAsync<ClientLeft>(e => e.Client.Name == "stalled" && e.Reason.StartsWith("too slow", StringComparison.Ordinal));
        Assert.Empty(harness.Server.List());
        var alice = await harness.ConnectAsync("alice");
        Assert.Equal(0u, (await alice.Client.SendAsync("still serving", Ct).WaitAsync(ChatTestHarness.Timeout, Ct)).DeliveredTo);
    }
}
