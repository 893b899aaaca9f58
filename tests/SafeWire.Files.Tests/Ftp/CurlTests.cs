using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>curl against the in-process server: explicit FTPS (--ssl-reqd) and implicit ftps://, trusting only our CA.</summary>
public sealed class CurlTests : IAsyncLifetime
{
    private FtpTestServer _server = null!;

    public ValueTask InitializeAsync()
    {
        _server = FtpTestServer.Start();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private string Url(string path = "") => $"ftp://127.0.0.1:{_server.Port}/{path}";

    private static Task<ToolResult> Curl(params string[] args) => CurlAs(FtpTestServer.Writer, FtpTestServer.WriterPassword, args);

    private static async Task<ToolResult> CurlAs(string user, string password, params string[] args)
    {
        string[] common = ["--silent", "--show-error", "--noproxy", "*", "--max-time", "60", "--cacert", TestCertificates.Shared.CaPemPath, "--user", $"{user}:{password}"];
        return await ExternalTool.RunAsync("curl", [.. common, .. args]);
    }

    [Fact]
    public async Task Lists_a_directory()
    {
        File.WriteAllText(Path.Combine(_server.Root, "hello.txt"), "hello");
        Directory.CreateDirectory(Path.Combine(_server.Root, "docs"));

        var result = await Curl("--ssl-reqd", Url());

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith('d') && l.EndsWith(" docs", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith('-') && l.Contains(" 5 ", StringComparison.Ordinal) && l.EndsWith(" hello.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Uploads_and_downloads_byte_identical_files()
    {
        var scratch = _server.Scratch("client");
        var source = TestFiles.Random(Path.Combine(scratch, "source.bin"), 3 * 1024 * 1024 + 17);

        var upload = await Curl("--ssl-reqd", "--ftp-create-dirs", "-T", source, Url("nested/dir/up.bin"));
        Assert.True(upload.ExitCode == 0, upload.ToString());
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_server.Root, "nested", "dir", "up.bin")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_server.Root, "nested", "dir"), "*.safewire-part"));

        var target = Path.Combine(scratch, "down.bin");
        var download = await Curl("--ssl-reqd", "-o", target, Url("nested/dir/up.bin"));
        Assert.True(download.ExitCode == 0, download.ToString());
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(target));
    }

    [Fact]
    public async Task Resumes_a_download()
    {
        var scratch = _server.Scratch("client");
        var full = TestFiles.Random(Path.Combine(_server.Root, "big.bin"), 2 * 1024 * 1024 + 5, seed: 7);
        var local = Path.Combine(scratch, "big.bin");
        var bytes = File.ReadAllBytes(full);
        File.WriteAllBytes(local, bytes[..(bytes.Length / 3)]);

        var result = await Curl("--ssl-reqd", "-C", "-", "-o", local, Url("big.bin"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(TestFiles.Sha256(full), TestFiles.Sha256(local));
        Assert.Contains($"RETR /big.bin: {bytes.Length - (bytes.Length / 3)} bytes", _server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resumes_an_upload_with_appe()
    {
        var scratch = _server.Scratch("client");
        var source = TestFiles.Random(Path.Combine(scratch, "upload.bin"), 2 * 1024 * 1024 + 11, seed: 9);
        var bytes = File.ReadAllBytes(source);
        File.WriteAllBytes(Path.Combine(_server.Root, "upload.bin"), bytes[..(bytes.Length / 2)]);

        var result = await Curl("--ssl-reqd", "-C", "-", "-T", source, Url("upload.bin"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(Path.Combine(_server.Root, "upload.bin")));
        Assert.Contains($"APPE /upload.bin: {bytes.Length - (bytes.Length / 2)} bytes", _server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Implicit_ftps_downloads()
    {
        var scratch = _server.Scratch("client");
        var file = TestFiles.Random(Path.Combine(_server.Root, "implicit.bin"), 512 * 1024 + 3, seed: 3);
        var target = Path.Combine(scratch, "implicit.bin");

        var result = await Curl("-o", target, $"ftps://127.0.0.1:{_server.ImplicitPort}/implicit.bin");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(TestFiles.Sha256(file), TestFiles.Sha256(target));
    }

    [Fact]
    public async Task Wrong_password_is_refused_with_530()
    {
        var result = await CurlAs(FtpTestServer.Writer, "wrong", "--ssl-reqd", Url());

        Assert.Equal(67, result.ExitCode); // CURLE_LOGIN_DENIED
        Assert.Contains("530", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_ftp_is_refused_with_530()
    {
        var result = await Curl(Url());

        Assert.Equal(67, result.ExitCode);
        Assert.Contains("530", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_only_user_cannot_upload()
    {
        var source = TestFiles.Random(Path.Combine(_server.Scratch("client"), "x.bin"), 100);

        var result = await CurlAs(FtpTestServer.Reader, FtpTestServer.ReaderPassword, "--ssl-reqd", "-T", source, Url("x.bin"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.False(File.Exists(Path.Combine(_server.Root, "x.bin")));
    }

    [Fact]
    public async Task Untrusted_certificate_is_rejected_by_curl()
    {
        // The negative control for every other test here: without our CA, curl must refuse the server.
        var result = await ExternalTool.RunAsync("curl", ["--silent", "--show-error", "--noproxy", "*", "--max-time", "30", "--ssl-reqd", "--user", "alice:x", Url()]);

        Assert.Equal(60, result.ExitCode); // CURLE_PEER_FAILED_VERIFICATION
    }
}
