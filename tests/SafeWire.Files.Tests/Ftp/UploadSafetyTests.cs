using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>
/// Attacks on FTPS data connections: truncated uploads (client killed, socket closed without close_notify), a second
/// upload to a name being written, and a process from the same address taking another client's passive port.
/// </summary>
public sealed class UploadSafetyTests
{
    private const string Previous = "the complete previous version";
    private static readonly string s_probe = Path.Combine(AppContext.BaseDirectory, "Ftp", "Scripts", "ftps_probe.py");
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Upload_closed_without_close_notify_gets_426_and_keeps_the_previous_file()
    {
        await using var server = FtpTestServer.Start();
        var target = Path.Combine(server.Root, "report.txt");
        File.WriteAllText(target, Previous);

        var result = await ExternalTool.RunAsync("python3", [s_probe, "upload", "127.0.0.1", Text(server.Port), FtpTestServer.Writer, FtpTestServer.WriterPassword, TestCertificates.Shared.CaPemPath, "report.txt", "5000", "close"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("reply: 426", result.Output, StringComparison.Ordinal);
        Assert.Equal(Previous, File.ReadAllText(target));
        Assert.Contains("without TLS close_notify after 5000 bytes", server.Log, StringComparison.Ordinal);
        // The partial file (hidden, so listed only with AttributesToSkip = 0) is gone too.
        Assert.Equal(["report.txt"], Directory.GetFiles(server.Root, "*", new EnumerationOptions { AttributesToSkip = 0 }).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Killed_uploader_leaves_the_previous_file_and_a_second_upload_meanwhile_gets_450()
    {
        await using var server = FtpTestServer.Start();
        var target = Path.Combine(server.Root, "report.txt");
        File.WriteAllText(target, Previous);
        using var uploader = StartProbe("upload", "127.0.0.1", Text(server.Port), FtpTestServer.Writer, FtpTestServer.WriterPassword, TestCertificates.Shared.CaPemPath, "report.txt", "300000", "hang");
        try
        {
            Assert.Equal("sent", await uploader.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(s_timeout, TestContext.Current.CancellationToken));

            // While the first upload is open, a second one to the same name is refused and changes nothing.
            await using (var second = await ImplicitClient.ConnectAsync(server.ImplicitPort))
            {
                await second.LoginAsync();
                Assert.StartsWith("229 ", await second.CommandAsync("EPSV"), StringComparison.Ordinal);
                Assert.StartsWith("450 ", await second.CommandAsync("STOR report.txt"), StringComparison.Ordinal);
                Assert.StartsWith("200 ", await second.CommandAsync("NOOP"), StringComparison.Ordinal);
            }
        }
        finally
        {
            uploader.Kill(entireProcessTree: true);
            await uploader.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        await WaitForLogAsync(server, "ended without TLS close_notify");
        Assert.Equal(Previous, File.ReadAllText(target));
        Assert.Equal(["report.txt"], Directory.GetFiles(server.Root, "*", new EnumerationOptions { AttributesToSkip = 0 }).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("own")]
    [InlineData("fresh")]
    public async Task Data_port_thief_from_the_same_address_gets_nothing_and_injects_nothing(string session)
    {
        await using var server = FtpTestServer.Start();
        File.WriteAllText(Path.Combine(server.Root, "secret.txt"), "victim's secret");
        File.WriteAllText(Path.Combine(server.Root, "upload.txt"), Previous);
        await using var victim = await ImplicitClient.ConnectAsync(server.ImplicitPort);
        await victim.LoginAsync();

        // Download: the thief connects first; the victim's RETR is refused, the thief receives no byte.
        var port = ImplicitClient.ParseEpsv(await victim.CommandAsync("EPSV"));
        var theft = await ExternalTool.RunAsync("python3", [s_probe, "thief", "127.0.0.1", Text(server.Port), TestCertificates.Shared.CaPemPath, Text(port), session]);
        Assert.Contains("received=0", theft.Output, StringComparison.Ordinal);
        if (session == "own")
        {
            // Resuming a session of this server is not enough: it must be the victim's control session.
            Assert.Contains("handshake=ok reused=True", theft.Output, StringComparison.Ordinal);
        }

        Assert.StartsWith("150 ", await victim.CommandAsync("RETR secret.txt"), StringComparison.Ordinal);
        Assert.StartsWith("425 ", await victim.ReadReplyAsync(), StringComparison.Ordinal);

        // Upload: the thief's bytes never reach the file.
        port = ImplicitClient.ParseEpsv(await victim.CommandAsync("EPSV"));
        theft = await ExternalTool.RunAsync("python3", [s_probe, "thief", "127.0.0.1", Text(server.Port), TestCertificates.Shared.CaPemPath, Text(port), session]);
        Assert.Contains("received=0", theft.Output, StringComparison.Ordinal);
        Assert.StartsWith("150 ", await victim.CommandAsync("STOR upload.txt"), StringComparison.Ordinal);
        Assert.StartsWith("425 ", await victim.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal(Previous, File.ReadAllText(Path.Combine(server.Root, "upload.txt")));
        Assert.DoesNotContain("INJECTED", string.Concat(Directory.GetFiles(server.Root, "*", new EnumerationOptions { AttributesToSkip = 0 }).Select(File.ReadAllText)), StringComparison.Ordinal);
        Assert.Contains("did not resume the control connection's TLS session", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_connection_that_resumes_the_control_session_is_accepted()
    {
        // The positive side of the thief test, with .NET's own client: it offers the session it holds for the same
        // target host (cached per host name, so "localhost", not an address) on the data port.
        await using var server = FtpTestServer.Start();
        File.WriteAllText(Path.Combine(server.Root, "a.txt"), "abc");
        await using var control = await ImplicitClient.ConnectAsync(server.ImplicitPort);
        await control.LoginAsync();
        var port = ImplicitClient.ParseEpsv(await control.CommandAsync("EPSV"));
        using var data = new TcpClient();
        await data.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        await using var tls = new SslStream(data.GetStream(), leaveInnerStreamOpen: false, ImplicitClient.IsTestServer);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, TestContext.Current.CancellationToken).WaitAsync(s_timeout, TestContext.Current.CancellationToken);

        Assert.StartsWith("150 ", await control.CommandAsync("RETR a.txt"), StringComparison.Ordinal);
        Assert.Equal("abc", await new StreamReader(tls).ReadToEndAsync(TestContext.Current.CancellationToken).WaitAsync(s_timeout, TestContext.Current.CancellationToken));
        await tls.DisposeAsync();
        Assert.StartsWith("226 ", await control.ReadReplyAsync(), StringComparison.Ordinal);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static Process StartProbe(params string[] args)
    {
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(s_probe);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("python3 did not start.");
    }

    private static async Task WaitForLogAsync(FtpTestServer server, string text)
    {
        using var limit = new CancellationTokenSource(s_timeout);
        while (!server.Log.Contains(text, StringComparison.Ordinal))
        {
            await Task.Delay(50, limit.Token);
        }
    }
}
