using System.Net;
using System.Net.Sockets;
using System.Text;
using SafeWire.Files.Ftp;
using SafeWire.Files.Tests.Support;
using SafeWire.TestSupport;
using SafeWire.Transport;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>Admission of FTP control connections: idle connections cannot lock out a real login, and NOOP does not keep one alive before login.</summary>
public sealed class FtpAdmissionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AHundredIdleControlConnections_DoNotStopARealLogin()
    {
        await using var server = FtpTestServer.Start(allowPlain: true);
        using var idle = await HostileConnections.OpenAsync(server.Port, 100, perAddress: 8, subnet: 30, ReadOnlyMemory<byte>.Empty, Ct);

        using var client = await LineClient.ConnectAsync(server.Port);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("331 ", await client.CommandAsync("USER " + FtpTestServer.Writer), StringComparison.Ordinal);
        Assert.StartsWith("230 ", await client.CommandAsync("PASS " + FtpTestServer.WriterPassword), StringComparison.Ordinal);
        Assert.StartsWith("257 ", await client.CommandAsync("PWD"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientThatSentAValidCommand_IsNotPushedOutByAHundredStalledAndGarbageConnections()
    {
        // Few places before login, so the flood below must push connections out; one per address, so the address
        // rule cannot tell the real client apart: only the whole, valid FEAT line it sent can.
        const int places = 32;
        await using var server = FtpTestServer.Start(allowPlain: true, adjust: o => With(o, new AdmissionOptions { MaxPendingConnections = places, MaxPendingPerAddress = 8, HandshakeTimeout = TimeSpan.FromMinutes(5) }));
        using var client = await LineClient.ConnectAsync(server.Port);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("211", await client.CommandAsync("FEAT"), StringComparison.Ordinal);
        await client.ReadUntilAsync("211 ");

        using var stalled = await HostileConnections.OpenAsync(server.Port, 50, perAddress: 1, subnet: 31, "USER al"u8.ToArray(), Ct);
        using var garbage = await HostileConnections.OpenAsync(server.Port, 50, perAddress: 1, subnet: 32, "\x16\x03\x01 \xff\xfe garbage\r\n"u8.ToArray(), Ct);
        for (int i = 0; i < 400 && server.Admission.DroppedConnections < 100 + 1 - places; i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.Equal(100 + 1 - places, server.Admission.DroppedConnections);
        Assert.StartsWith("331 ", await client.CommandAsync("USER " + FtpTestServer.Writer), StringComparison.Ordinal);
        Assert.StartsWith("230 ", await client.CommandAsync("PASS " + FtpTestServer.WriterPassword), StringComparison.Ordinal);
        Assert.StartsWith("257 ", await client.CommandAsync("PWD"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoopBeforeLogin_DoesNotExtendTheLoginDeadline()
    {
        await using var server = FtpTestServer.Start(allowPlain: true, adjust: o => With(o, new AdmissionOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(800) }));
        using var client = await LineClient.ConnectAsync(server.Port);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);

        bool closed = false;
        for (int i = 0; i < 100 && !closed; i++)
        {
            string? reply;
            try
            {
                reply = await client.CommandAsync("NOOP");
            }
            catch (IOException)
            {
                reply = null;
            }

            closed = reply is null;
            await Task.Delay(100, Ct);
        }

        Assert.True(closed, "NOOP kept a connection that never logged in alive for 10 s");
        Assert.Contains("not logged in within", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionsBeyondThePerAddressLimit_AreAnswered421()
    {
        await using var server = FtpTestServer.Start(allowPlain: true, adjust: o => With(o, new AdmissionOptions { MaxPendingPerAddress = 2, HandshakeTimeout = TimeSpan.FromMinutes(5) }));
        using var first = await LineClient.ConnectAsync(server.Port);
        using var second = await LineClient.ConnectAsync(server.Port);
        Assert.StartsWith("220 ", await first.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("220 ", await second.ReadReplyAsync(), StringComparison.Ordinal);

        using var third = await LineClient.ConnectAsync(server.Port);
        var refusal = await third.ReadReplyAsync();
        Assert.StartsWith("421 ", refusal, StringComparison.Ordinal);
        Assert.Contains("try again later", refusal, StringComparison.Ordinal);

        // Once one logs in, its place before login is free again.
        Assert.StartsWith("331 ", await first.CommandAsync("USER " + FtpTestServer.Writer), StringComparison.Ordinal);
        Assert.StartsWith("230 ", await first.CommandAsync("PASS " + FtpTestServer.WriterPassword), StringComparison.Ordinal);
        using var fourth = await LineClient.ConnectAsync(server.Port);
        Assert.StartsWith("220 ", await fourth.ReadReplyAsync(), StringComparison.Ordinal);
    }

    private static FtpServerOptions With(FtpServerOptions o, AdmissionOptions admission) => new()
    {
        Root = o.Root,
        Host = o.Host,
        Port = o.Port,
        ImplicitPort = o.ImplicitPort,
        Certificate = o.Certificate,
        CertificateChain = o.CertificateChain,
        AllowPlain = o.AllowPlain,
        TlsProtocols = o.TlsProtocols,
        Users = o.Users,
        FailedLoginDelay = o.FailedLoginDelay,
        DataTimeout = o.DataTimeout,
        Log = o.Log,
        Admission = admission,
    };

    /// <summary>A line-oriented control client; every read has a timeout.</summary>
    private sealed class LineClient : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly StreamReader _reader;

        private LineClient(TcpClient tcp)
        {
            _tcp = tcp;
            _reader = new StreamReader(tcp.GetStream(), Encoding.UTF8);
        }

        public static async Task<LineClient> ConnectAsync(int port)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port, Ct);
            return new LineClient(tcp);
        }

        public async Task<string?> CommandAsync(string line)
        {
            await _tcp.GetStream().WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), Ct);
            return await ReadReplyAsync();
        }

        public async Task<string?> ReadReplyAsync()
        {
            try
            {
                return await _reader.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            }
            catch (IOException)
            {
                return null;
            }
        }

        /// <summary>Reads lines until one starts with <paramref name="prefix"/> (the end of a multi-line reply).</summary>
        public async Task ReadUntilAsync(string prefix)
        {
            for (int i = 0; i < 100; i++)
            {
                if ((await ReadReplyAsync())?.StartsWith(prefix, StringComparison.Ordinal) != false)
                {
                    return;
                }
            }
        }

        public void Dispose()
        {
            _reader.Dispose();
            _tcp.Dispose();
        }
    }
}
