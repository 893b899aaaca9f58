using System.Net;
using System.Net.Sockets;
using SafeWire.Identity;
using SafeWire.TestSupport;

namespace SafeWire.Voting.Tests;

public class TransportTests
{
    [Fact]
    public async Task Secure_channel_handshake_over_loopback()
    {
        using var home = new TempDirectory();
        var safeHome = new SafeWireHome(home.Path);
        using var credential = safeHome.LoadOrCreateServerCredential("vote-server", ["localhost"], [IPAddress.Loopback]);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serverTask = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            try
            {
                await using var secure = await VoteTransport.AcceptAsync(client.GetStream(), credential, TestContext.Current.CancellationToken);
                var buffer = new byte[5];
                await secure.ReadExactlyAsync(buffer, TestContext.Current.CancellationToken);
                await secure.WriteAsync(buffer, TestContext.Current.CancellationToken);
                return "ok";
            }
            catch (Exception e)
            {
                return e.ToString();
            }
        }, TestContext.Current.CancellationToken);
        string clientResult;
        try
        {
            await using var stream = await VoteTransport.ConnectAsync("127.0.0.1", port, VoteTransport.ServerVerifier(VoteTransport.CaCertificatePem(safeHome), safeHome), "127.0.0.1", TestContext.Current.CancellationToken);
            await stream.WriteAsync("hello"u8.ToArray(), TestContext.Current.CancellationToken);
            var back = new byte[5];
            await stream.ReadExactlyAsync(back, TestContext.Current.CancellationToken);
            clientResult = "ok";
        }
        catch (Exception e)
        {
            clientResult = e.ToString();
        }

        var both = await serverTask + "|" + clientResult;
        Assert.True(both == "ok|ok", both);
    }
}
