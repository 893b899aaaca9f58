using System.Globalization;
using System.Security.Authentication;
using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>TLS details real clients depend on: session resumption on data connections, versions, CA trust.</summary>
public sealed class TlsTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Data_connections_resume_the_control_tls_session()
    {
        await using var server = FtpTestServer.Start();
        var script = Path.Combine(AppContext.BaseDirectory, "Ftp", "Scripts", "ftplib_session_reuse.py");

        var result = await ExternalTool.RunAsync("python3", [script, "127.0.0.1", Port(server.Port), FtpTestServer.Writer, FtpTestServer.WriterPassword, TestCertificates.Shared.CaPemPath]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["reused=True", "reused=True", "reused=True"], result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Implicit_port_resumes_sessions_for_openssl()
    {
        await using var server = FtpTestServer.Start();

        var result = await ExternalTool.RunAsync("openssl", ["s_client", "-connect", "127.0.0.1:" + Port(server.ImplicitPort), "-CAfile", TestCertificates.Shared.CaPemPath, "-verify_return_error", "-reconnect"], standardInput: "");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Verify return code: 0 (ok)", result.Output, StringComparison.Ordinal);
        Assert.Contains("Reused, TLSv1.2", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls13_is_opt_in()
    {
        await using var server = FtpTestServer.Start(protocols: SslProtocols.Tls12 | SslProtocols.Tls13);
        File.WriteAllText(Path.Combine(server.Root, "a.txt"), "abc");

        var result = await ExternalTool.RunAsync("curl", ["-sS", "--noproxy", "*", "--ssl-reqd", "--tlsv1.3", "--cacert", TestCertificates.Shared.CaPemPath, "--user", $"{FtpTestServer.Writer}:{FtpTestServer.WriterPassword}", $"ftp://127.0.0.1:{Port(server.Port)}/a.txt"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("abc", result.Output);
        Assert.Contains("TLS Tls13", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_refuses_tls13_only_clients()
    {
        await using var server = FtpTestServer.Start();

        var result = await ExternalTool.RunAsync("curl", ["-sS", "--noproxy", "*", "--ssl-reqd", "--tlsv1.3", "--cacert", TestCertificates.Shared.CaPemPath, "--user", "alice:x", $"ftp://127.0.0.1:{Port(server.Port)}/"]);

        Assert.Equal(35, result.ExitCode); // CURLE_SSL_CONNECT_ERROR
    }

    [Fact]
    public async Task Lftp_without_our_ca_refuses_the_server()
    {
        await using var server = FtpTestServer.Start();
        var script = $"set ftp:ssl-force true; set ssl:verify-certificate true; set ssl:ca-file /dev/null; set net:max-retries 1; set net:timeout 10; set cmd:fail-exit true; open -u alice,{FtpTestServer.WriterPassword} ftp://127.0.0.1:{Port(server.Port)}; ls /";

        var result = await ExternalTool.RunAsync("lftp", ["-c", script], timeout: TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("logged in as", server.Log, StringComparison.Ordinal);
    }
}
