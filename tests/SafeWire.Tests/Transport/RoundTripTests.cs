using System.Security.Cryptography;
using SafeWire.Protocol;
using SafeWire.Tests.Support;
using SafeWire.Transport;

namespace SafeWire.Tests.Transport;

public sealed class RoundTripTests
{
    public static TheoryData<CipherSuite, int, bool> SuitesAndSizes()
    {
        var data = new TheoryData<CipherSuite, int, bool>();
        foreach (var suite in Enum.GetValues<CipherSuite>())
        {
            foreach (var size in new[] { 0, 1, ProtocolConstants.MaxPlaintext - 1, ProtocolConstants.MaxPlaintext, ProtocolConstants.MaxPlaintext + 1, 200_000 })
            {
                data.Add(suite, size, size % 2 == 0);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SuitesAndSizes))]
    public async Task EverySuite_RoundTripsMessageSizes(CipherSuite suite, int size, bool sync)
    {
        using var serverKey = Channels.NewRawKey();
        var clientOptions = Channels.ClientPinning(serverKey);
        clientOptions.CipherSuites = [suite];
        var (client, server) = await Channels.ConnectAsync(clientOptions, Channels.ServerOptions(serverKey));
        await using (client)
        await using (server)
        {
            Assert.Equal(suite, client.CipherSuite);
            Assert.Equal(suite, server.CipherSuite);
            var payload = RandomNumberGenerator.GetBytes(size);
            var ct = TestContext.Current.CancellationToken;

            var write = Task.Run(async () =>
            {
                if (sync)
                {
                    client.Write(payload);
                }
                else
                {
                    await client.WriteAsync(payload, ct);
                }

                await client.ShutdownAsync(ct);
            }, ct);
            var received = await ReadToEndAsync(server, sync, ct).WaitAsync(Channels.TestTimeout, ct);
            await write;
            Assert.Equal(payload, received);
        }
    }

    [Fact]
    public async Task OneGibibyte_StreamsThrough_WithGcm()
    {
        using var serverKey = Channels.NewRawKey();
        var (client, server) = await Channels.ConnectAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
        await using (client)
        await using (server)
        {
            const long total = 1L << 30;
            var chunk = RandomNumberGenerator.GetBytes(64 * 1024);
            var ct = TestContext.Current.CancellationToken;
            var writer = Task.Run(async () =>
            {
                for (long sent = 0; sent < total; sent += chunk.Length)
                {
                    await client.WriteAsync(chunk, ct);
                }

                await client.ShutdownAsync(ct);
            }, ct);

            // Check every byte cheaply: the stream is the chunk repeated, so compare position-wise.
            var buffer = new byte[64 * 1024];
            long received = 0;
            while (true)
            {
                int n = await server.ReadAsync(buffer, ct);
                if (n == 0)
                {
                    break;
                }

                int offset = (int)(received % chunk.Length);
                for (int i = 0; i < n;)
                {
                    int run = Math.Min(n - i, chunk.Length - offset);
                    Assert.True(buffer.AsSpan(i, run).SequenceEqual(chunk.AsSpan(offset, run)));
                    i += run;
                    offset = 0;
                }

                received += n;
            }

            await writer.WaitAsync(Channels.TestTimeout, ct);
            Assert.Equal(total, received);
        }
    }

    [Fact]
    public async Task CaCertificates_WithClientAuthentication()
    {
        using var pki = new TestPki();
        using var serverCredential = pki.Issue("server.test");
        using var clientCredential = pki.Issue("alice", server: false);
        var clientOptions = new SecureClientOptions { ServerVerifier = new TestCaVerifier(pki), ServerName = "server.test", ClientCredential = clientCredential };
        var serverOptions = new SecureServerOptions { ServerCredential = serverCredential, ClientVerifier = new TestCaVerifier(pki), RequireClientCredential = true };
        var (client, server) = await Channels.ConnectAsync(clientOptions, serverOptions);
        await using (client)
        await using (server)
        {
            Assert.Equal("server.test", client.RemoteIdentity!.Name);
            Assert.NotNull(client.RemoteIdentity.Certificate);
            Assert.Equal("alice", server.RemoteIdentity!.Name);
            Assert.Equal(clientCredential.Fingerprint, server.RemoteIdentity.Fingerprint);
            Assert.Same(clientCredential, client.LocalCredential);
        }
    }

    [Fact]
    public async Task RsaPssServer_IsAccepted()
    {
        using var pki = new TestPki();
        using var serverCredential = pki.Issue("rsa.test", rsa: true);
        var clientOptions = new SecureClientOptions { ServerVerifier = new TestCaVerifier(pki), ServerName = "rsa.test" };
        var (client, server) = await Channels.ConnectAsync(clientOptions, Channels.ServerOptions(serverCredential));
        await using (client)
        await using (server)
        {
            await client.WriteAsync(new byte[] { 7 }, TestContext.Current.CancellationToken);
            Assert.Equal(7, server.ReadByte());
        }
    }

    [Fact]
    public async Task ClientWithoutCredential_WhenOptional_IsAnonymous()
    {
        using var pki = new TestPki();
        using var serverCredential = pki.Issue("server.test");
        var clientOptions = new SecureClientOptions { ServerVerifier = new TestCaVerifier(pki), ServerName = "server.test" };
        var serverOptions = new SecureServerOptions { ServerCredential = serverCredential, ClientVerifier = new TestCaVerifier(pki) };
        var (client, server) = await Channels.ConnectAsync(clientOptions, serverOptions);
        await using (client)
        await using (server)
        {
            Assert.Null(server.RemoteIdentity);
        }
    }

    [Fact]
    public async Task KeyUpdates_ManyTimes_BothDirections()
    {
        using var serverKey = Channels.NewRawKey();
        var clientOptions = Channels.ClientPinning(serverKey);
        clientOptions.KeyUpdateAfterRecords = 3;
        var serverOptions = Channels.ServerOptions(serverKey);
        serverOptions.KeyUpdateAfterRecords = 2;
        var (client, server) = await Channels.ConnectAsync(clientOptions, serverOptions);
        await using (client)
        await using (server)
        {
            var ct = TestContext.Current.CancellationToken;
            var buffer = new byte[100];
            for (int i = 0; i < 50; i++)
            {
                await client.WriteAsync(new[] { (byte)i }, ct);
                Assert.Equal(1, await server.ReadAsync(buffer, ct));
                Assert.Equal((byte)i, buffer[0]);
                await server.WriteAsync(new[] { (byte)(i + 1) }, ct);
                Assert.Equal(1, await client.ReadAsync(buffer, ct));
                Assert.Equal((byte)(i + 1), buffer[0]);
            }

            // 50 records at 3 per key and 2 per key: about 16 and 24 ratchet steps.
            Assert.True(client.KeyUpdatesSent >= 15, $"client sent {client.KeyUpdatesSent} key updates");
            Assert.True(server.KeyUpdatesSent >= 24, $"server sent {server.KeyUpdatesSent} key updates");
            Assert.Equal(client.KeyUpdatesSent, server.KeyUpdatesReceived);
        }
    }

    [Fact]
    public async Task Exporter_GivesBothEndsTheSameBytes_AndDiffersPerSession()
    {
        using var serverKey = Channels.NewRawKey();
        var (client1, server1) = await Channels.ConnectAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
        var (client2, server2) = await Channels.ConnectAsync(Channels.ClientPinning(serverKey), Channels.ServerOptions(serverKey));
        await using (client1)
        await using (server1)
        await using (client2)
        await using (server2)
        {
            var a = new byte[32];
            var b = new byte[32];
            var c = new byte[32];
            client1.ExportKeyingMaterial("port hop", "ctx"u8, a);
            server1.ExportKeyingMaterial("port hop", "ctx"u8, b);
            client2.ExportKeyingMaterial("port hop", "ctx"u8, c);
            Assert.Equal(a, b);
            Assert.NotEqual(a, c);
            server1.ExportKeyingMaterial("port hop", "other"u8, b);
            Assert.NotEqual(a, b);
        }
    }

    private static async Task<byte[]> ReadToEndAsync(SecureStream stream, bool sync, CancellationToken ct)
    {
        using var received = new MemoryStream();
        var buffer = new byte[7000];
        while (true)
        {
            int n = sync ? await Task.Run(() => stream.Read(buffer, 0, buffer.Length), ct) : await stream.ReadAsync(buffer, ct);
            if (n == 0)
            {
                return received.ToArray();
            }

            received.Write(buffer, 0, n);
        }
    }
}
