using System.Net;
using System.Net.Sockets;
using System.Text;
using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>Session limits and protocol edges, driven over a raw socket (plain FTP allowed so bytes stay readable).</summary>
public sealed class ControlChannelTests
{
    [Fact]
    public async Task Overlong_line_gets_500_and_the_connection_closes()
    {
        await using var server = FtpTestServer.Start(allowPlain: true, adjust: o => Adjust(o, maxLine: 64));
        using var client = await RawClient.ConnectAsync(server.Port);

        await client.SendAsync("NOOP " + new string('x', 200));

        Assert.StartsWith("500 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Null(await client.ReadReplyAsync());
    }

    [Fact]
    public async Task Idle_connection_gets_421()
    {
        await using var server = FtpTestServer.Start(allowPlain: true, adjust: o => Adjust(o, idle: TimeSpan.FromMilliseconds(300)));
        using var client = await RawClient.ConnectAsync(server.Port);

        Assert.StartsWith("421 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Null(await client.ReadReplyAsync());
    }

    [Fact]
    public async Task Failed_logins_are_limited_then_the_connection_closes()
    {
        await using var server = FtpTestServer.Start(allowPlain: true, adjust: o => Adjust(o, maxFailed: 3));
        using var client = await RawClient.ConnectAsync(server.Port);

        for (var i = 0; i < 2; i++)
        {
            Assert.StartsWith("331 ", await client.CommandAsync("USER alice"), StringComparison.Ordinal);
            Assert.StartsWith("530 ", await client.CommandAsync("PASS guess" + i), StringComparison.Ordinal);
        }

        Assert.StartsWith("331 ", await client.CommandAsync("USER alice"), StringComparison.Ordinal);
        Assert.StartsWith("421 ", await client.CommandAsync("PASS guess2"), StringComparison.Ordinal);
        Assert.Null(await client.ReadReplyAsync());
        Assert.Contains("failed login for alice (3)", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_pipelined_after_auth_tls_are_not_run()
    {
        // CVE-2011-0411: plaintext sent along with AUTH TLS must not be treated as protected input.
        await using var server = FtpTestServer.Start();
        using var client = await RawClient.ConnectAsync(server.Port);

        await client.SendAsync("AUTH TLS\r\nUSER alice");

        Assert.StartsWith("234 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Null(await client.ReadReplyAsync());
        Assert.Contains("plaintext bytes after AUTH", server.Log, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SITE CHMOD 777 x", "500 ")]
    [InlineData("PORT 127,0,0,1,4,1", "502 ")]
    [InlineData("PROT P", "503 ")]
    [InlineData("PBSZ 0", "503 ")]
    [InlineData("RETR", "501 ")]
    public async Task Wrong_commands_get_the_rfc_code(string command, string expected)
    {
        await using var server = FtpTestServer.Start(allowPlain: true);
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.LoginAsync();

        Assert.StartsWith(expected, await client.CommandAsync(command), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_session_gets_feat_and_a_refusal_without_allow_plain()
    {
        await using var server = FtpTestServer.Start();
        using var client = await RawClient.ConnectAsync(server.Port);

        var feat = await client.CommandAsync("FEAT");
        Assert.Contains(" AUTH TLS\r\n", feat, StringComparison.Ordinal);
        Assert.Contains(" REST STREAM\r\n", feat, StringComparison.Ordinal);
        Assert.Contains(" MLST type*;size*;modify*;perm*;\r\n", feat, StringComparison.Ordinal);
        Assert.StartsWith("530 ", await client.CommandAsync("USER alice"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Passive_port_refuses_other_addresses_and_expires()
    {
        await using var server = FtpTestServer.Start(allowPlain: true, adjust: o => Adjust(o, data: TimeSpan.FromSeconds(1)));
        File.WriteAllText(Path.Combine(server.Root, "f.txt"), "data");
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.LoginAsync();

        // A connection from another address (127.0.0.2) is closed; the client's own connection then gets the data.
        var port = ParseEpsv(await client.CommandAsync("EPSV"));
        using (var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            intruder.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
            await intruder.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            await client.SendAsync("RETR f.txt");
            Assert.StartsWith("150 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
            var buffer = new byte[16];
            Assert.Equal(0, await intruder.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        }

        using (var data = new TcpClient())
        {
            await data.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            var received = await new StreamReader(data.GetStream()).ReadToEndAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            Assert.Equal("data", received);
        }

        Assert.StartsWith("226 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Contains("refused a data connection from 127.0.0.2", server.Log, StringComparison.Ordinal);

        // A passive port nobody connects to expires (after the 1 s data timeout): the transfer command then gets 425.
        // The second reply comes when the port has expired: waiting for it is waiting for the expiry.
        ParseEpsv(await client.CommandAsync("EPSV"));
        await client.SendAsync("RETR f.txt");
        Assert.StartsWith("150 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("425 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rename_needs_rnfr_right_before()
    {
        await using var server = FtpTestServer.Start(allowPlain: true);
        File.WriteAllText(Path.Combine(server.Root, "a.txt"), "a");
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.LoginAsync();

        Assert.StartsWith("503 ", await client.CommandAsync("RNTO b.txt"), StringComparison.Ordinal);
        Assert.StartsWith("350 ", await client.CommandAsync("RNFR a.txt"), StringComparison.Ordinal);
        Assert.StartsWith("200 ", await client.CommandAsync("NOOP"), StringComparison.Ordinal);
        Assert.StartsWith("503 ", await client.CommandAsync("RNTO b.txt"), StringComparison.Ordinal);
        Assert.StartsWith("350 ", await client.CommandAsync("RNFR a.txt"), StringComparison.Ordinal);
        Assert.StartsWith("250 ", await client.CommandAsync("RNTO b.txt"), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(server.Root, "b.txt")));
        Assert.StartsWith("553 ", await client.CommandAsync("CWD ../.."), StringComparison.Ordinal);
        Assert.StartsWith("257 \"/\"", await client.CommandAsync("PWD"), StringComparison.Ordinal);
    }

    private static FtpServerOptionsAdjuster Adjust(SafeWire.Files.Ftp.FtpServerOptions o, int? maxLine = null, TimeSpan? idle = null, int? maxFailed = null, TimeSpan? data = null) =>
        new(o, maxLine, idle, maxFailed, data);

    private static int ParseEpsv(string reply)
    {
        Assert.StartsWith("229 ", reply, StringComparison.Ordinal);
        var start = reply.IndexOf("|||", StringComparison.Ordinal) + 3;
        return int.Parse(reply[start..reply.IndexOf('|', start)], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Copies options with a few limits changed (options are init-only).</summary>
    private sealed class FtpServerOptionsAdjuster(SafeWire.Files.Ftp.FtpServerOptions o, int? maxLine, TimeSpan? idle, int? maxFailed, TimeSpan? data)
    {
        public static implicit operator SafeWire.Files.Ftp.FtpServerOptions(FtpServerOptionsAdjuster a) => new()
        {
            Root = a._o.Root,
            Port = a._o.Port,
            ImplicitPort = a._o.ImplicitPort,
            Certificate = a._o.Certificate,
            CertificateChain = a._o.CertificateChain,
            AllowPlain = a._o.AllowPlain,
            TlsProtocols = a._o.TlsProtocols,
            Users = a._o.Users,
            FailedLoginDelay = a._o.FailedLoginDelay,
            RequireTlsSessionReuse = a._o.RequireTlsSessionReuse,
            LoginBackoff = a._o.LoginBackoff,
            TimeProvider = a._o.TimeProvider,
            Log = a._o.Log,
            MaxLineLength = a._maxLine ?? a._o.MaxLineLength,
            IdleTimeout = a._idle ?? a._o.IdleTimeout,
            MaxFailedLogins = a._maxFailed ?? a._o.MaxFailedLogins,
            DataTimeout = a._data ?? a._o.DataTimeout,
        };

        private readonly SafeWire.Files.Ftp.FtpServerOptions _o = o;
        private readonly int? _maxLine = maxLine;
        private readonly TimeSpan? _idle = idle;
        private readonly int? _maxFailed = maxFailed;
        private readonly TimeSpan? _data = data;
    }

    /// <summary>A line-oriented FTP control client on a raw socket; every read has a timeout.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly StreamReader _reader;
        private readonly Stream _stream;

        private RawClient(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = new StreamReader(_stream, Encoding.UTF8);
        }

        public static async Task<RawClient> ConnectAsync(int port)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var client = new RawClient(tcp);
            var greeting = await client.ReadReplyAsync();
            Assert.StartsWith("220 ", greeting, StringComparison.Ordinal);
            return client;
        }

        public async Task SendAsync(string line)
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
        }

        public async Task<string> CommandAsync(string line)
        {
            await SendAsync(line);
            return await ReadReplyAsync() ?? throw new IOException($"connection closed after {line}");
        }

        public async Task LoginAsync()
        {
            Assert.StartsWith("331 ", await CommandAsync("USER " + FtpTestServer.Writer), StringComparison.Ordinal);
            Assert.StartsWith("230 ", await CommandAsync("PASS " + FtpTestServer.WriterPassword), StringComparison.Ordinal);
        }

        /// <summary>One whole reply (multi-line ones up to "code "), or null when the server closed.</summary>
        public async Task<string?> ReadReplyAsync()
        {
            var builder = new StringBuilder();
            while (true)
            {
                string? line;
                try
                {
                    line = await _reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (IOException)
                {
                    line = null;
                }

                if (line is null)
                {
                    return builder.Length == 0 ? null : builder.ToString();
                }

                builder.Append(line).Append("\r\n");
                if (line.Length >= 4 && char.IsAsciiDigit(line[0]) && line[3] == ' ' && (builder.Length == line.Length + 2 || line[..3] == builder.ToString()[..3]))
                {
                    return builder.ToString();
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
