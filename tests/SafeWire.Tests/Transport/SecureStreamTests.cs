using System.Text;
using SafeWire.Protocol;
using SafeWire.Tests.Support;
using SafeWire.Transport;

namespace SafeWire.Tests.Transport;

public sealed class SecureStreamTests
{
    [Fact]
    public async Task RawKeyHandshake_ThenEchoBothWays()
    {
        using var serverKey = Channels.NewRawKey();
        var (client, server) = await Channels.ConnectAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
        await using (client)
        await using (server)
        {
            Assert.Equal(CipherSuite.Aes256Gcm, client.CipherSuite);
            Assert.Equal(client.SessionId, server.SessionId);
            Assert.Equal(serverKey.Fingerprint, client.RemoteIdentity!.Fingerprint);
            Assert.Null(server.RemoteIdentity);

            await client.WriteAsync(Encoding.UTF8.GetBytes("hello"), TestContext.Current.CancellationToken);
            var buffer = new byte[16];
            int n = await server.ReadAsync(buffer, TestContext.Current.CancellationToken);
            Assert.Equal("hello", Encoding.UTF8.GetString(buffer, 0, n));

            server.Write(Encoding.UTF8.GetBytes("world"));
            n = client.Read(buffer);
            Assert.Equal("world", Encoding.UTF8.GetString(buffer, 0, n));

            await client.ShutdownAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, await server.ReadAsync(buffer, TestContext.Current.CancellationToken));
        }
    }
}
