using SafeWire.Protocol.Handshake;
using SafeWire.Tests.Support;
using SafeWire.Transport;

namespace SafeWire.Tests.Transport;

public sealed class ResumptionTests
{
    [Fact]
    public async Task Ticket_ResumesOnce_ThenFallsBackToFullHandshake()
    {
        using var pki = new TestPki();
        using var serverCredential = pki.Issue("server.test");
        using var clientCredential = pki.Issue("alice", server: false);
        using var store = new SessionTicketStore();
        var cache = new SessionTicketCache();
        var clientOptions = new SecureClientOptions { ServerVerifier = new TestCaVerifier(pki), ServerName = "server.test", ClientCredential = clientCredential, SessionCache = cache };
        var serverOptions = new SecureServerOptions { ServerCredential = serverCredential, ClientVerifier = new TestCaVerifier(pki), SessionTickets = store };

        await ConnectAndEcho(clientOptions, serverOptions, expectResumed: false);
        Assert.Equal(1, cache.Count);
        var ticket = cache.TryTake("server.test", DateTimeOffset.UtcNow)!;
        cache.Add("server.test", ticket);

        var (client, server) = await ConnectAndEcho(clientOptions, serverOptions, expectResumed: true);
        Assert.Equal("server.test", client.RemoteIdentity!.Name);
        Assert.Equal("alice", server.RemoteIdentity!.Name);
        Assert.Equal(clientCredential.Fingerprint, server.RemoteIdentity.Fingerprint);

        // The same ticket again (a replay): the server refuses it and does a full handshake.
        cache.TryTake("server.test", DateTimeOffset.UtcNow);
        cache.Add("server.test", ticket);
        await ConnectAndEcho(clientOptions, serverOptions, expectResumed: false);
    }

    [Fact]
    public async Task ExpiredTicket_FallsBackToFullHandshake()
    {
        using var serverKey = Channels.NewRawKey();
        using var store = new SessionTicketStore(TimeSpan.FromMinutes(5));
        var cache = new SessionTicketCache();
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var clientOptions = Channels.ClientPinning(serverKey);
        clientOptions.SessionCache = cache;
        var serverOptions = Channels.ServerOptions(serverKey);
        serverOptions.SessionTickets = store;
        serverOptions.TimeProvider = clock;

        await ConnectAndEcho(clientOptions, serverOptions, expectResumed: false);
        Assert.Equal(1, cache.Count);
        clock.Now += TimeSpan.FromMinutes(6);
        await ConnectAndEcho(clientOptions, serverOptions, expectResumed: false);
    }

    [Fact]
    public async Task ForeignTicket_FallsBackToFullHandshake()
    {
        using var serverKey = Channels.NewRawKey();
        using var store = new SessionTicketStore();
        using var otherStore = new SessionTicketStore();
        var cache = new SessionTicketCache();
        var clientOptions = Channels.ClientPinning(serverKey);
        clientOptions.SessionCache = cache;
        var serverOptions = Channels.ServerOptions(serverKey);
        serverOptions.SessionTickets = otherStore;
        await ConnectAndEcho(clientOptions, serverOptions, expectResumed: false);
        serverOptions.SessionTickets = store;
        await ConnectAndEcho(clientOptions, serverOptions, expectResumed: false);
    }

    private static async Task<(SecureStream Client, SecureStream Server)> ConnectAndEcho(SecureClientOptions clientOptions, SecureServerOptions serverOptions, bool expectResumed)
    {
        var (client, server) = await Channels.ConnectAsync(clientOptions, serverOptions);
        Assert.Equal(expectResumed, client.IsResumed);
        Assert.Equal(expectResumed, server.IsResumed);
        var ct = TestContext.Current.CancellationToken;
        await client.WriteAsync(new byte[] { 42 }, ct);
        var buffer = new byte[1];
        await server.ReadExactlyAsync(buffer, ct);
        await server.WriteAsync(buffer, ct);
        await client.ReadExactlyAsync(buffer, ct); // also receives the NewSessionTicket
        Assert.Equal(42, buffer[0]);
        await client.DisposeAsync();
        await server.DisposeAsync();
        return (client, server);
    }
}

/// <summary>A clock tests can move (timers still run on real time).</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
