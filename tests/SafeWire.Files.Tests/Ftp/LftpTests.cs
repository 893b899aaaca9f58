using System.Globalization;
using SafeWire.Files.Tests.Support;

namespace SafeWire.Files.Tests.Ftp;

/// <summary>lftp with ftp:ssl-force: mirror -R a nested tree up, mirror it back down, every file by SHA-256.</summary>
public sealed class LftpTests : IAsyncLifetime
{
    private FtpTestServer _server = null!;

    public ValueTask InitializeAsync()
    {
        _server = FtpTestServer.Start();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Mirrors_a_nested_tree_up_and_down()
    {
        var scratch = _server.Scratch("lftp");
        var local = Path.Combine(scratch, "tree");
        TestFiles.Random(Path.Combine(local, "top.bin"), 300 * 1024, seed: 1);
        TestFiles.Random(Path.Combine(local, "empty.txt"), 0);
        TestFiles.Random(Path.Combine(local, "a", "one.bin"), 70 * 1024 + 1, seed: 2);
        TestFiles.Random(Path.Combine(local, "a", "b", "two.bin"), 1024 * 1024 + 3, seed: 3);
        TestFiles.Random(Path.Combine(local, "a", "b", "c", "three with spaces.txt"), 12, seed: 4);
        TestFiles.Random(Path.Combine(local, "ünïcödé", "ファイル.bin"), 4096, seed: 5);
        var down = Path.Combine(scratch, "down");

        var result = await Lftp($"mirror -R {Quote(local)} /tree; mirror /tree {Quote(down)}");

        Assert.True(result.ExitCode == 0, result.ToString() + "\nserver log:\n" + _server.Log);
        var expected = TestFiles.Tree(local);
        Assert.Equal(6, expected.Count);
        Assert.Equal(expected, TestFiles.Tree(Path.Combine(_server.Root, "tree")));
        Assert.Equal(expected, TestFiles.Tree(down));
        Assert.Contains("TLS Tls12", _server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_fails_the_login()
    {
        var result = await Lftp("ls /", password: "wrong");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("530", result.Error, StringComparison.Ordinal);
    }

    private async Task<ToolResult> Lftp(string commands, string password = FtpTestServer.WriterPassword)
    {
        var script = string.Join("; ",
            "set ftp:ssl-force true",
            "set ftp:ssl-protect-data true",
            "set ssl:verify-certificate true",
            "set ssl:ca-file " + Quote(TestCertificates.Shared.CaPemPath),
            "set net:max-retries 1",
            "set net:reconnect-interval-base 1",
            "set net:timeout 20",
            "set cmd:fail-exit true",
            "set mirror:parallel-transfer-count 2",
            string.Create(CultureInfo.InvariantCulture, $"open -u {FtpTestServer.Writer},{password} ftp://127.0.0.1:{_server.Port}"),
            commands);
        return await ExternalTool.RunAsync("lftp", ["-c", script], timeout: TimeSpan.FromSeconds(90));
    }

    private static string Quote(string path) => "\"" + path + "\"";
}
