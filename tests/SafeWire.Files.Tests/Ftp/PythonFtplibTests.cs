using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>Python's stock ftplib.FTP_TLS with prot_p(): login, LIST, storbinary, retrbinary.</summary>
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

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("existing.txt", result.Output, StringComparison.Ordinal);
        Assert.Contains("names: existing.txt uploaded.bin", result.Output, StringComparison.Ordinal);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_server.Root, "uploaded.bin")));
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

    private Task<ToolResult> Run(string user, string password, string source, string target) =>
        ExternalTool.RunAsync("python3", [s_script, "127.0.0.1", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), user, password, TestCertificates.Shared.CaPemPath, source, target]);
}
