using System.Net;
using System.Net.Sockets;
using SafeWire.Tests.Support;
using SafeWire.Transport;

namespace SafeWire.Tests.Transport;

public sealed class SecureListenerTests
{
    [Fact]
    public async Task Listener_YieldsAuthenticatedStreams_AndReportsFailedHandshakes()
    {
        using var serverKey = Channels.NewRawKey();
        var serverOptions = Channels.ServerOptions(serverKey);
        serverOptions.HandshakeTimeout = TimeSpan.FromSeconds(1);
        await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), serverOptions, maxConcurrentHandshakes: 2);
        var failures = new List<SafeWire.Protocol.Alert>();
        listener.HandshakeFailed += (_, e) => { lock (failures) { failures.Add(e.Alert); } };
        listener.Start();
        var ct = TestContext.Current.CancellationToken;

        // A client that connects and says nothing: it times out without blocking real clients for ever.
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, listener.LocalEndPoint.Port, ct);

        for (int i = 0; i < 3; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, listener.LocalEndPoint.Port, ct);
            await using var client = new SecureStream(tcp.GetStream());
            var accept = listener.AcceptAsync(ct).AsTask();
            await client.AuthenticateAsClientAsync(Channels.ClientPinning(serverKey), ct).WaitAsync(Channels.TestTimeout, ct);
            await using var accepted = await accept.WaitAsync(Channels.TestTimeout, ct);
            Assert.Equal(IPAddress.Loopback, accepted.RemoteEndPoint.Address);
            Assert.Equal(client.SessionId, accepted.Stream.SessionId);
            await client.WriteAsync(new byte[] { (byte)i }, ct);
            var buffer = new byte[1];
            await accepted.Stream.ReadExactlyAsync(buffer, ct);
            Assert.Equal((byte)i, buffer[0]);
        }

        for (int i = 0; i < 100 && listener.FailedHandshakes == 0; i++)
        {
            await Task.Delay(50, ct);
        }

        Assert.Equal(1, listener.FailedHandshakes);
        lock (failures)
        {
            Assert.Equal([SafeWire.Protocol.Alert.HandshakeTimeout], failures);
        }
    }
}
