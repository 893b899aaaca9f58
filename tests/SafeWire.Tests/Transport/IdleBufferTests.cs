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
