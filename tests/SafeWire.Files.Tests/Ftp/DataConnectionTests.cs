using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>When the data connection's TLS handshake runs, and what a PROT change after PASV/EPSV does.</summary>
public sealed class DataConnectionTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Data_tls_handshake_completes_before_the_transfer_command()
    {
        await using var server = FtpTestServer.Start();
        File.WriteAllText(Path.Combine(server.Root, "a.txt"), "abc");
        await using var control = await ImplicitClient.ConnectAsync(server.ImplicitPort);
        await control.LoginAsync();
        Assert.StartsWith("200 ", await control.CommandAsync("TYPE I"), StringComparison.Ordinal);
        var port = ImplicitClient.ParseEpsv(await control.CommandAsync("EPSV"));

        // curl finishes this handshake before it reads further control replies: the server must answer it now.
        using var data = new TcpClient();
        await data.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        await using var tls = new SslStream(data.GetStream(), leaveInnerStreamOpen: false, ImplicitClient.IsTestServer);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, TestContext.Current.CancellationToken).WaitAsync(s_timeout, TestContext.Current.CancellationToken);
        Assert.StartsWith("213 3", await control.CommandAsync("SIZE a.txt"), StringComparison.Ordinal);

        Assert.StartsWith("150 ", await control.CommandAsync("RETR a.txt"), StringComparison.Ordinal);
        var received = await new StreamReader(tls).ReadToEndAsync(TestContext.Current.CancellationToken).WaitAsync(s_timeout, TestContext.Current.CancellationToken);
        Assert.Equal("abc", received);
        await tls.DisposeAsync(); // the server waits for the client to close after its close_notify
        Assert.StartsWith("226 ", await control.ReadReplyAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prot_c_after_epsv_needs_a_new_data_port()
    {
        await using var server = FtpTestServer.Start(allowPlain: true);
        File.WriteAllText(Path.Combine(server.Root, "a.txt"), "abc");
        await using var control = await ImplicitClient.ConnectAsync(server.ImplicitPort);
        await control.LoginAsync();
        ImplicitClient.ParseEpsv(await control.CommandAsync("EPSV"));
        Assert.StartsWith("200 ", await control.CommandAsync("PBSZ 0"), StringComparison.Ordinal);
        Assert.StartsWith("200 ", await control.CommandAsync("PROT C"), StringComparison.Ordinal);

        Assert.StartsWith("425 ", await control.CommandAsync("RETR a.txt"), StringComparison.Ordinal);

        var port = ImplicitClient.ParseEpsv(await control.CommandAsync("EPSV"));
        using var data = new TcpClient();
        await data.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        Assert.StartsWith("150 ", await control.CommandAsync("RETR a.txt"), StringComparison.Ordinal);
        var received = await new StreamReader(data.GetStream()).ReadToEndAsync(TestContext.Current.CancellationToken).WaitAsync(s_timeout, TestContext.Current.CancellationToken);
        Assert.Equal("abc", received);
        data.Dispose();
        Assert.StartsWith("226 ", await control.ReadReplyAsync(), StringComparison.Ordinal);
    }
}
