using System.Net;
using System.Net.Sockets;
using SafeWire.Protocol;
using SafeWire.TestSupport;
using SafeWire.Tests.Support;
using SafeWire.Transport;

namespace SafeWire.Tests.Transport;

/// <summary>
/// Connection admission in <see cref="SecureListener"/>: slots never leak, refused peers are told "busy", stalled ones
/// "handshake_timeout", stalled connections cannot lock out new ones, and a flood is logged as a bounded number of lines.
/// </summary>
public sealed class AdmissionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SlotAccounting_NeverLeaks_WhenHandshakeFailedHandlersAndConnectionHandlersThrow()
    {
        using var serverKey = Channels.NewRawKey();
        // Two handshake places only: the original listener lost one for good each time a HandshakeFailed handler threw.
        await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), Channels.ServerOptions(serverKey), maxConcurrentHandshakes: 2);
        listener.HandshakeFailed += (_, _) => throw new InvalidOperationException("a faulty handler");
        listener.Start();
        var serving = listener.ServeAsync((_, _) => throw new InvalidOperationException("a faulty connection handler"), Ct);

        for (int i = 0; i < 6; i++)
        {
            using var garbage = new TcpClient();
            await garbage.ConnectAsync(IPAddress.Loopback, listener.LocalEndPoint.Port, Ct);
            await garbage.GetStream().WriteAsync(Enumerable.Repeat((byte)0xEE, 64).ToArray(), Ct);
            await ReadToEndAsync(garbage.GetStream()).WaitAsync(Channels.TestTimeout, Ct); // refused and closed
        }

        for (int i = 0; i < 4; i++)
        {
            // Each authenticates, then its handler throws: the listener still frees its place.
            await using var client = await SecureConnector.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port, Channels.ClientPinning(serverKey), Ct).WaitAsync(Channels.TestTimeout, Ct);
        }

        await WaitUntilAsync(() => listener.Admission.OpenConnections == 0);
        Assert.Equal(0, listener.Admission.PendingConnections);
        Assert.Equal(0, listener.Admission.AuthenticatedConnections);
        Assert.Equal(6, listener.FailedHandshakes);
        await listener.DisposeAsync();
        await serving.WaitAsync(Channels.TestTimeout, Ct);
    }

    [Fact]
    public async Task ARefusedClient_IsToldTheServerIsBusy_AndAFloodWritesABoundedNumberOfLogLines()
    {
        using var serverKey = Channels.NewRawKey();
        var lines = new List<string>();
        var admission = new AdmissionOptions
        {
            MaxPendingPerAddress = 1,
            FirstBytesTimeout = TimeSpan.FromMinutes(5),
            HandshakeTimeout = TimeSpan.FromMinutes(5),
            LogInterval = TimeSpan.FromHours(1),
            Log = line => { lock (lines) { lines.Add(line); } },
        };
        var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), Channels.ServerOptions(serverKey), admission);
        listener.Start();
        int port = listener.LocalEndPoint.Port;

        // One silent connection takes the only place of 127.0.0.1; everything after it from there is refused.
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, port, Ct);
        await WaitUntilAsync(() => listener.Admission.PendingConnections == 1);

        var busy = await Assert.ThrowsAsync<SecureChannelException>(() => SecureConnector.ConnectAsync("127.0.0.1", port, Channels.ClientPinning(serverKey), Ct));
        Assert.Equal(Alert.ServerBusy, busy.Alert);
        Assert.True(SecureConnector.IsBusy(busy));
        Assert.Contains("busy", busy.Message, StringComparison.Ordinal);
        Assert.Contains("try again", busy.Message, StringComparison.Ordinal);

        const int flood = 300;
        for (int i = 0; i < flood; i++)
        {
            using var refused = new TcpClient();
            await refused.ConnectAsync(IPAddress.Loopback, port, Ct);
            await ReadToEndAsync(refused.GetStream()).WaitAsync(Channels.TestTimeout, Ct);
        }

        await WaitUntilAsync(() => listener.Admission.RefusedConnections == flood + 1);
        lock (lines)
        {
            Assert.Single(lines); // the first refusal as it happened; the rest wait for the interval's summary
        }

        await listener.DisposeAsync();
        lock (lines)
        {
            Assert.Equal(2, lines.Count);
            Assert.Contains($"{flood} connections refused", lines[1], StringComparison.Ordinal);
            Assert.Contains("most from 127.0.0.1", lines[1], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ASilentClient_ReceivesHandshakeTimeout()
    {
        using var serverKey = Channels.NewRawKey();
        await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), Channels.ServerOptions(serverKey), new AdmissionOptions { FirstBytesTimeout = TimeSpan.FromMilliseconds(300) });
        listener.Start();

        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, listener.LocalEndPoint.Port, Ct);
        var received = await ReadToEndAsync(silent.GetStream()).WaitAsync(Channels.TestTimeout, Ct);

        Assert.Equal(SecureListener.AlertRecord(Alert.HandshakeTimeout), received);
        Assert.Equal(21, received[0]); // a plaintext alert record: the client has no keys
        Assert.Equal((byte)Alert.HandshakeTimeout, received[^2]);
    }

    [Fact]
    public async Task AClientThatStallsMidHandshake_ReceivesHandshakeTimeout()
    {
        using var serverKey = Channels.NewRawKey();
        var options = Channels.ServerOptions(serverKey);
        await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), options, new AdmissionOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(500) });
        listener.Start();

        // Half a record header, then nothing.
        using var stalled = new TcpClient();
        await stalled.ConnectAsync(IPAddress.Loopback, listener.LocalEndPoint.Port, Ct);
        await stalled.GetStream().WriteAsync(new byte[] { 22, 0x57, 0x01, 0, 0 }, Ct);
        var received = await ReadToEndAsync(stalled.GetStream()).WaitAsync(Channels.TestTimeout, Ct);

        Assert.Equal(SecureListener.AlertRecord(Alert.HandshakeTimeout), received);
    }

    [Fact]
    public async Task StalledConnections_FromManyAddresses_DoNotLockOutANewClient()
    {
        using var serverKey = Channels.NewRawKey();
        var admission = new AdmissionOptions
        {
            MaxPendingConnections = 8,
            MaxPendingPerAddress = 4,
            FirstBytesTimeout = TimeSpan.FromMinutes(5),
            HandshakeTimeout = TimeSpan.FromMinutes(5),
        };
        await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), Channels.ServerOptions(serverKey), admission);
        listener.Start();
        using var stalled = await HostileConnections.OpenAsync(listener.LocalEndPoint.Port, 64, perAddress: 4, subnet: 9, ReadOnlyMemory<byte>.Empty, Ct);
        await WaitUntilAsync(() => listener.Admission.DroppedConnections + listener.Admission.RefusedConnections >= 56);

        await using var client = await SecureConnector.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port, Channels.ClientPinning(serverKey), Ct).WaitAsync(Channels.TestTimeout, Ct);
        Assert.True(client.IsAuthenticated);
        Assert.True(listener.Admission.PendingConnections <= admission.MaxPendingConnections);
    }

    [Fact]
    public async Task Dispose_WaitsForInFlightHandshakes_AndFreesEveryPlace()
    {
        using var serverKey = Channels.NewRawKey();
        var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), Channels.ServerOptions(serverKey), new AdmissionOptions { FirstBytesTimeout = TimeSpan.FromMinutes(5), HandshakeTimeout = TimeSpan.FromMinutes(5) });
        listener.Start();
        using var stalled = await HostileConnections.OpenAsync(listener.LocalEndPoint.Port, 6, perAddress: 2, subnet: 10, new byte[] { 22, 0x57 }, Ct);
        await WaitUntilAsync(() => listener.Admission.PendingConnections == 6);

        await listener.DisposeAsync().AsTask().WaitAsync(Channels.TestTimeout, Ct);

        Assert.Equal(0, listener.Admission.OpenConnections);
    }

    [Fact]
    public async Task AClientDroppedForANewcomerBeforeItsHandshake_IsToldTheServerIsBusy()
    {
        using var serverKey = Channels.NewRawKey();
        var admission = new AdmissionOptions { MaxPendingConnections = 1, FirstBytesTimeout = TimeSpan.FromMinutes(5), HandshakeTimeout = TimeSpan.FromMinutes(5) };
        await using var listener = new SecureListener(new IPEndPoint(IPAddress.Loopback, 0), Channels.ServerOptions(serverKey), admission);
        listener.Start();
        int port = listener.LocalEndPoint.Port;

        // A real client, slow to send its ClientHello, holds the only place; a silent newcomer from elsewhere takes it.
        using var slow = new TcpClient();
        await slow.ConnectAsync(IPAddress.Loopback, port, Ct);
        await WaitUntilAsync(() => listener.Admission.PendingConnections == 1);
        using var newcomer = await HostileConnections.OpenAsync(port, 1, perAddress: 1, subnet: 11, ReadOnlyMemory<byte>.Empty, Ct);
        await WaitUntilAsync(() => listener.Admission.DroppedConnections == 1);

        var busy = await Assert.ThrowsAsync<SecureChannelException>(() => SecureConnector.AuthenticateAsClientAsync(slow.GetStream(), Channels.ClientPinning(serverKey), leaveInnerStreamOpen: true, Ct).WaitAsync(Channels.TestTimeout, Ct));
        Assert.Equal(Alert.ServerBusy, busy.Alert);
        Assert.True(SecureConnector.IsBusy(busy));
        Assert.Contains("busy", busy.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANewcomer_TakesThePlaceOfTheOldestStalledConnection_NotOfOneThatMadeProgress()
    {
        using var admission = new ConnectionAdmission(new AdmissionOptions { MaxPendingConnections = 2, MaxPendingPerAddress = 8 });
        var from = new IPEndPoint(IPAddress.Loopback, 40000);
        Assert.Equal(AdmissionResult.Admitted, admission.TryAdmit(from, out var loggingIn));
        Assert.Equal(AdmissionResult.Admitted, admission.TryAdmit(from, out var stalled));
        loggingIn!.MarkProgress(); // older, but past its TLS handshake

        Assert.Equal(AdmissionResult.Admitted, admission.TryAdmit(from, out var newcomer));
        Assert.True(stalled!.Aborted.IsCancellationRequested);
        Assert.False(loggingIn.Aborted.IsCancellationRequested);
        Assert.Equal(1, admission.DroppedConnections);

        // With only connections that made progress left, the oldest of them goes.
        newcomer!.MarkProgress();
        Assert.Equal(AdmissionResult.Admitted, admission.TryAdmit(from, out var last));
        Assert.True(loggingIn.Aborted.IsCancellationRequested);
        Assert.False(newcomer.Aborted.IsCancellationRequested);
        foreach (var lease in new[] { loggingIn, stalled, newcomer, last! })
        {
            lease.Dispose();
        }

        Assert.Equal(0, admission.OpenConnections);
    }

    [Fact]
    public void ANewcomer_TakesThePlaceOfAConnectionFromTheAddressHoldingTheMostPlaces_NotOfAQuietAddressOne()
    {
        using var admission = new ConnectionAdmission(new AdmissionOptions { MaxPendingConnections = 4, MaxPendingPerAddress = 8 });
        var quiet = new IPEndPoint(IPAddress.Loopback, 40000);
        var flooding = new IPEndPoint(IPAddress.Parse("127.60.0.2"), 40000);
        Assert.Equal(AdmissionResult.Admitted, admission.TryAdmit(quiet, out var real)); // the oldest, not yet progressed
        var flood = new ConnectionLease?[3];
        for (int i = 0; i < flood.Length; i++)
        {
            Assert.Equal(AdmissionResult.Admitted, admission.TryAdmit(flooding, out flood[i]));
        }

        Assert.Equal(AdmissionResult.Admitted, admission.TryAdmit(new IPEndPoint(IPAddress.Parse("127.60.0.3"), 40000), out var newcomer));
        Assert.False(real!.Aborted.IsCancellationRequested);
        Assert.True(flood[0]!.Aborted.IsCancellationRequested); // the flooding address's longest-waiting one
        Assert.False(flood[1]!.Aborted.IsCancellationRequested);

        // The flooding address still holds the most places: its next one goes, never the quiet address's.
        Assert.Equal(AdmissionResult.Admitted, admission.TryAdmit(flooding, out var again));
        Assert.True(flood[1]!.Aborted.IsCancellationRequested);
        Assert.False(real.Aborted.IsCancellationRequested);
        foreach (var lease in new[] { real, newcomer!, again! }.Concat(flood.Select(f => f!)))
        {
            lease.Dispose();
        }

        Assert.Equal(0, admission.OpenConnections);
        Assert.Equal(2, admission.DroppedConnections);
    }

    /// <summary>Reads until the peer closes; a reset counts as the end.</summary>
    internal static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        var all = new MemoryStream();
        var buffer = new byte[256];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                all.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
        }

        return all.ToArray();
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(condition(), "the condition did not become true within 20 s");
    }
}

/// <summary>Dispose while a read is in flight: the reader keeps its buffer until it ends, then returns it.</summary>
public sealed class DisposeDuringReadTests
{
    [Fact]
    public async Task Dispose_WhileAReadHoldsTheReceiveBuffer_LeavesItToTheReader()
    {
        using var serverKey = Channels.NewRawKey();
        var ct = TestContext.Current.CancellationToken;
        var (rawClient, rawServer) = DuplexPipeStream.CreatePair();
        var client = new SecureStream(rawClient, leaveInnerStreamOpen: true);
        var server = new SecureStream(rawServer);
        await Task.WhenAll(client.AuthenticateAsClientAsync(Channels.ClientPinning(serverKey), ct), server.AuthenticateAsServerAsync(Channels.ServerOptions(serverKey), ct)).WaitAsync(Channels.TestTimeout, ct);

        // Part of a record: the server's read takes its buffer and waits for the rest.
        await rawClient.WriteAsync(new byte[] { 23, 0x57, 0x01, 1, 2, 3, 4, 5 }, ct);
        var read = server.ReadAsync(new byte[64], ct).AsTask();
        await AdmissionTests.WaitUntilAsync(() => server.HoldsReceiveBuffer);
        Assert.True(server.ReadInFlight);

        server.Dispose();
        Assert.True(server.HoldsReceiveBuffer, "Dispose returned the receive buffer to the pool while a read was still using it");

        rawClient.Dispose(); // the transport ends: the read finishes
        var error = await Assert.ThrowsAnyAsync<Exception>(() => read.WaitAsync(Channels.TestTimeout, ct));
        Assert.True(error is IOException or ObjectDisposedException or OperationCanceledException, error.ToString());
        Assert.False(server.HoldsReceiveBuffer);
        Assert.Throws<ObjectDisposedException>(() => server.Read(new byte[1], 0, 1));
        await client.DisposeAsync();
    }
}
