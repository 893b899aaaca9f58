using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>An implicit-FTPS control client (TLS from the first byte); every read has a timeout.</summary>
internal sealed class ImplicitClient : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly TcpClient _tcp;
    private readonly SslStream _tls;
    private readonly StreamReader _reader;

    private ImplicitClient(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        _tls = tls;
        _reader = new StreamReader(tls, Encoding.UTF8);
    }

    public static async Task<ImplicitClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, IsTestServer);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, TestContext.Current.CancellationToken).WaitAsync(s_timeout, TestContext.Current.CancellationToken);
        var client = new ImplicitClient(tcp, tls);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        return client;
    }

    /// <summary>Trusts exactly the test server's certificate.</summary>
    public static bool IsTestServer(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && certificate.GetCertHashString() == TestCertificates.Shared.Server.GetCertHashString();

    public async Task LoginAsync(string user = FtpTestServer.Writer, string password = FtpTestServer.WriterPassword)
    {
        Assert.StartsWith("331 ", await CommandAsync("USER " + user), StringComparison.Ordinal);
        Assert.StartsWith("230 ", await CommandAsync("PASS " + password), StringComparison.Ordinal);
    }

    public async Task<string> CommandAsync(string line)
    {
        await _tls.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), TestContext.Current.CancellationToken);
        return await ReadReplyAsync();
    }

    public async Task<string> ReadReplyAsync() =>
        await _reader.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(s_timeout, TestContext.Current.CancellationToken) ?? "";

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }

    /// <summary>The data port of an EPSV reply (229 ... (|||PORT|)).</summary>
    public static int ParseEpsv(string reply)
    {
        Assert.StartsWith("229 ", reply, StringComparison.Ordinal);
        var start = reply.IndexOf("|||", StringComparison.Ordinal) + 3;
        return int.Parse(reply[start..reply.IndexOf('|', start)], CultureInfo.InvariantCulture);
    }
}
