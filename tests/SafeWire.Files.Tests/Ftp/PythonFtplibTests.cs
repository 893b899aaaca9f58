using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>
/// Python's ftplib.FTP_TLS with prot_p(): login, LIST, storbinary, retrbinary; with the documented subclass that
/// resumes the control session on data connections, and as shipped (refused unless session reuse is relaxed).
/// </summary>
public sealed class PythonFtplibTests : IAsyncLifetime
{
    private static readonly string s_script = Path.Combine(AppContext.BaseDirectory, "Ftp", "Scripts", "ftplib_client.py");
    private FtpTestServer _server = null!;

    public ValueTask InitializeAsync()
    {
        _server = FtpTestServer.Start();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Lists_stores_and_retrieves_over_prot_p()
    {
        File.WriteAllText(Path.Combine(_server.Root, "existing.txt"), "already here");
        var scratch = _server.Scratch("python");
        var source = TestFiles.Random(Path.Combine(scratch, "source.bin"), 1024 * 1024 + 7, seed: 11);
        var target = Path.Combine(scratch, "target.bin");

        var result = await Run(FtpTestServer.Writer, FtpTestServer.WriterPassword, source, target);

        Assert.True(result.ExitCode == 0, result.ToString() + "\nserver log:\n" + _server.Log);
        Assert.Contains("existing.txt", result.Output, StringComparison.Ordinal);
        Assert.Contains("names: existing.txt uploaded.bin", result.Output, StringComparison.Ordinal);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_server.Root, "uploaded.bin")));
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(target));
    }

    [Fact]
    public async Task Stock_ftp_tls_without_session_reuse_is_refused_a_data_connection()
    {
        var scratch = _server.Scratch("python");
        var source = TestFiles.Random(Path.Combine(scratch, "source.bin"), 10);

        var result = await Run(FtpTestServer.Writer, FtpTestServer.WriterPassword, source, Path.Combine(scratch, "t.bin"), stock: true);

        // ftplib reports the closed data connection as an SSL error before it reads the 425; the server says why.
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("did not resume the control connection's TLS session", _server.Log, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_server.Root, "uploaded.bin")));
    }

    [Fact]
    public async Task Stock_ftp_tls_works_when_session_reuse_is_relaxed()
    {
        await using var relaxed = FtpTestServer.Start(requireTlsSessionReuse: false);
        var scratch = relaxed.Scratch("python");
        var source = TestFiles.Random(Path.Combine(scratch, "source.bin"), 100_000, seed: 3);
        var target = Path.Combine(scratch, "target.bin");

        var result = await ExternalTool.RunAsync("python3", [s_script, "127.0.0.1", relaxed.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), FtpTestServer.Writer, FtpTestServer.WriterPassword, TestCertificates.Shared.CaPemPath, source, target, "--stock"]);

        Assert.True(result.ExitCode == 0, result.ToString() + "\nserver log:\n" + _server.Log);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(target));
    }

    [Fact]
    public async Task Wrong_password_gets_530()
    {
        var scratch = _server.Scratch("python");
        var source = TestFiles.Random(Path.Combine(scratch, "source.bin"), 10);

        var result = await Run(FtpTestServer.Writer, "not-the-password", source, Path.Combine(scratch, "t.bin"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("530", result.Error, StringComparison.Ordinal);
    }

    private Task<ToolResult> Run(string user, string password, string source, string target, bool stock = false) =>
        ExternalTool.RunAsync("python3", [s_script, "127.0.0.1", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), user, password, TestCertificates.Shared.CaPemPath, source, target, stock ? "--stock" : "--reuse-session"]);
}
