using System.Security.Cryptography;
using SafeWire.Tests.Support;

namespace SafeWire.Tests.Transport;

/// <summary>A read keeps opening records that are already buffered until the caller's buffer is full.</summary>
public sealed class ReadCoalescingTests
{
    private const int RecordPlaintext = 16 * 1024;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OneRead_ReturnsMoreThanOneRecord_WhenTheyAreBuffered(bool sync)
    {
        using var serverKey = Channels.NewRawKey();
        var (client, server) = await Channels.ConnectAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
        await using (client)
        await using (server)
        {
            var ct = TestContext.Current.CancellationToken;
            var sent = RandomNumberGenerator.GetBytes(4 * RecordPlaintext);
            await client.WriteAsync(sent, ct); // four full records in one inner write

            var received = new byte[sent.Length];
            int first = sync ? server.Read(received) : await server.ReadAsync(received, ct);
            Assert.True(first > RecordPlaintext, $"one read returned {first} bytes: only one record");

            int total = first;
            while (total < sent.Length)
            {
                int n = sync ? server.Read(received.AsSpan(total)) : await server.ReadAsync(received.AsMemory(total), ct);
                Assert.True(n > 0);
                total += n;
            }

            Assert.Equal(sent, received);
            Assert.False(server.HoldsReceiveBuffer);
        }
    }

    [Fact]
    public async Task BulkStreamOverTcp_MovesToTheBulkBuffer_AndKeepsEveryByte()
    {
        using var serverKey = Channels.NewRawKey();
        var (client, server, serverSocket) = await Channels.ConnectTcpWithServerSocketAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
        await using (client)
        await using (server)
        {
            var ct = TestContext.Current.CancellationToken;
            var sent = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
            var writing = Task.Run(
                async () =>
                {
                    for (int offset = 0; offset < sent.Length; offset += 256 * 1024)
                    {
                        await client.WriteAsync(sent.AsMemory(offset, 256 * 1024), ct);
                    }
                },
                ct);
            // Wait until the socket holds more than the small receive buffer (2 records), so the first read fills it.
            using (var filled = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                filled.CancelAfter(Channels.TestTimeout);
                while (serverSocket.Available <= 2 * SafeWire.Protocol.ProtocolConstants.MaxRecordLength)
                {
                    Assert.False(writing.IsFaulted, "the writer failed");
                    await Task.Delay(10, filled.Token);
                }
            }

            var received = new byte[sent.Length];
            int total = 0;
            int largest = 0;
            while (total < sent.Length)
            {
                int n = await server.ReadAsync(received.AsMemory(total, Math.Min(100_003, sent.Length - total)), ct).AsTask().WaitAsync(Channels.TestTimeout, ct);
                Assert.True(n > 0);
                total += n;
                largest = Math.Max(largest, server.ReceiveBufferLength);
            }

            await writing;
            Assert.Equal(sent, received);
            Assert.Equal(256 * 1024, largest);
            Assert.False(server.HoldsReceiveBuffer);
        }
    }

    [Fact]
    public async Task DataFollowedByCloseNotify_IsReturnedThenTheStreamEnds()
    {
        using var serverKey = Channels.NewRawKey();
        var (client, server) = await Channels.ConnectAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
        await using (client)
        await using (server)
        {
            var ct = TestContext.Current.CancellationToken;
            await client.WriteAsync(new byte[] { 1, 2, 3 }, ct);
            await client.WriteAsync(new byte[] { 4, 5 }, ct);
            await client.ShutdownAsync(ct);

            var buffer = new byte[64];
            int total = 0;
            while (true)
            {
                int n = await server.ReadAsync(buffer.AsMemory(total), ct).AsTask().WaitAsync(Channels.TestTimeout, ct);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, buffer[..total]);
            Assert.False(server.HoldsReceiveBuffer);
        }
    }
}
