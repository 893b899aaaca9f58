using System.Text;
using SafeWire.Tests.Support;

namespace SafeWire.Tests.Transport;

/// <summary>An idle connection holds no receive buffer, and a zero-byte read waits for data like SslStream's.</summary>
public sealed class IdleBufferTests
{
    [Fact]
    public async Task ReceiveBuffer_IsReleasedOnceEverythingIsRead()
    {
        using var serverKey = Channels.NewRawKey();
        var (client, server) = await Channels.ConnectAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
        await using (client)
        await using (server)
        {
            var ct = TestContext.Current.CancellationToken;
            Assert.False(server.HoldsReceiveBuffer);

            await client.WriteAsync(Encoding.ASCII.GetBytes("0123456789"), ct);
            var buffer = new byte[4];
            Assert.Equal(4, await server.ReadAsync(buffer, ct));
            Assert.True(server.HoldsReceiveBuffer); // six decrypted bytes are still waiting

            var rest = new byte[16];
            Assert.Equal(6, await server.ReadAsync(rest, ct));
            Assert.Equal("456789", Encoding.ASCII.GetString(rest, 0, 6));
            Assert.False(server.HoldsReceiveBuffer);

            // Sync reads release it too.
            client.Write(Encoding.ASCII.GetBytes("sync"));
            Assert.Equal(4, server.Read(rest, 0, rest.Length));
            Assert.False(server.HoldsReceiveBuffer);
        }
    }

    [Fact]
    public async Task IdleRead_AfterData_HoldsNoBuffer()
    {
        // After a connection has read data, the socket engine may complete the next zero-byte wait on a stale
        // readiness event; the idle read must not take the receive buffer then (most connections did before).
        using var serverKey = Channels.NewRawKey();
        var ct = TestContext.Current.CancellationToken;
        for (int i = 0; i < 20; i++)
        {
            var (client, server) = await Channels.ConnectTcpAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
            await using (client)
            await using (server)
            {
                await client.WriteAsync(new byte[] { 42 }, ct);
                var one = new byte[1];
                await server.ReadExactlyAsync(one, ct);
                var idle = server.ReadAsync(one, ct).AsTask();
                await Task.Delay(20, ct);
                Assert.False(idle.IsCompleted);
                Assert.False(server.HoldsReceiveBuffer, $"connection {i} holds its receive buffer while idle");

                await client.WriteAsync(new byte[] { 7 }, ct);
                Assert.Equal(1, await idle.WaitAsync(Channels.TestTimeout, ct));
                Assert.Equal(7, one[0]);
            }
        }
    }

    [Fact]
    public async Task ZeroByteRead_WaitsForData_AndConsumesNothing()
    {
        using var serverKey = Channels.NewRawKey();
        var (client, server) = await Channels.ConnectAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
        await using (client)
        await using (server)
        {
            var ct = TestContext.Current.CancellationToken;
            var waiting = server.ReadAsync(Memory<byte>.Empty, ct).AsTask();
            await Task.Delay(50, ct);
            Assert.False(waiting.IsCompleted); // nothing was sent yet

            await client.WriteAsync(Encoding.ASCII.GetBytes("ping"), ct);
            Assert.Equal(0, await waiting.WaitAsync(Channels.TestTimeout, ct));
            var buffer = new byte[8];
            Assert.Equal(4, await server.ReadAsync(buffer, ct));
            Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, 4));

            // At the end of the stream a zero-byte read returns 0 at once, like any read.
            await client.ShutdownAsync(ct);
            Assert.Equal(0, await server.ReadAsync(Memory<byte>.Empty, ct).AsTask().WaitAsync(Channels.TestTimeout, ct));
            Assert.Equal(0, await server.ReadAsync(buffer, ct));
        }
    }
}
