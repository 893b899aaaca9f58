using System.Globalization;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Ux;

/// <summary><c>safewire files</c> in process: put into a folder like scp, an empty listing says so, a rerun skips complete files.</summary>
public sealed class FilesUxTests
{
    [Fact]
    public async Task PutIntoAFolderKeepsTheNameAndAnEmptyListingSaysSo()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        var root = Directory.CreateDirectory(dir["root"]).FullName;
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var server = "127.0.0.1:" + port;
        await using var serve = InProcess.Start("--home", home, "files", "serve", "--root", root, "--port", port);
        await serve.WaitForAsync("Press Ctrl+C");

        Assert.Equal(1, (await InProcess.RunAsync("--home", home, "files", "ls", server)).ExitCode); // not allowed yet; makes the client key
        Assert.Equal(0, (await InProcess.RunAsync("--home", home, "allow", "add", Path.Combine(home, "keys", "node.pub"), "--name", "client")).ExitCode); // the home identity the client presents

        var ls = await InProcess.RunAsync("--home", home, "files", "ls", server);
        Assert.True(ls.ExitCode == 0, ls.Error);
        Assert.Equal("/: empty directory", ls.Output.Trim()); // printed nothing before

        Assert.Equal(0, (await InProcess.RunAsync("--home", home, "files", "mkdir", server, "/photos")).ExitCode);
        var a = dir["a.txt"];
        var b = dir["b.txt"];
        await File.WriteAllTextAsync(a, "first", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(b, "second", TestContext.Current.CancellationToken);

        // "/photos/" created a file named photos before; "/photos" (an existing folder) too.
        var put = await InProcess.RunAsync("--home", home, "files", "put", server, a, "/photos/");
        Assert.True(put.ExitCode == 0, put.Error);
        Assert.Contains("put /photos/a.txt", put.Output, StringComparison.Ordinal);
        put = await InProcess.RunAsync("--home", home, "files", "put", server, b, "/photos");
        Assert.True(put.ExitCode == 0, put.Error);
        Assert.Equal("first", await File.ReadAllTextAsync(Path.Combine(root, "photos", "a.txt"), TestContext.Current.CancellationToken));
        Assert.Equal("second", await File.ReadAllTextAsync(Path.Combine(root, "photos", "b.txt"), TestContext.Current.CancellationToken));

        // A plain new name is still the remote file's name.
        put = await InProcess.RunAsync("--home", home, "files", "put", server, a, "/photos/renamed.txt");
        Assert.True(put.ExitCode == 0, put.Error);
        Assert.True(File.Exists(Path.Combine(root, "photos", "renamed.txt")));

        Assert.Equal(0, await serve.InterruptAsync());
    }

    [Fact]
    public async Task RerunOfATreeTransferSkipsCompleteFilesAndSendsChangedOnes()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        var root = Directory.CreateDirectory(dir["root"]).FullName;
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var server = "127.0.0.1:" + port;
        await using var serve = InProcess.Start("--home", home, "files", "serve", "--root", root, "--port", port);
        await serve.WaitForAsync("Press Ctrl+C");
        Assert.Equal(1, (await InProcess.RunAsync("--home", home, "files", "ls", server)).ExitCode); // makes the client key
        Assert.Equal(0, (await InProcess.RunAsync("--home", home, "allow", "add", Path.Combine(home, "keys", "node.pub"), "--name", "client")).ExitCode);

        var tree = Directory.CreateDirectory(dir["tree"]).FullName;
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(Path.Combine(tree, "a.txt"), "alpha", ct);
        await File.WriteAllTextAsync(Path.Combine(tree, "b.txt"), "bravo", ct);
        var put = await InProcess.RunAsync("--home", home, "files", "put", server, tree, "/t", "-r");
        Assert.True(put.ExitCode == 0, put.Error);
        Assert.Contains("2 files: 2 sent, 0 skipped", put.Output, StringComparison.Ordinal);
        var old = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(root, "t", "a.txt"), old);
        File.SetLastWriteTimeUtc(Path.Combine(root, "t", "b.txt"), old);

        // Unchanged: both skipped, the server's files untouched.
        put = await InProcess.RunAsync("--home", home, "files", "put", server, tree, "/t", "-r");
        Assert.True(put.ExitCode == 0, put.Error);
        Assert.Contains("skipped /t/a.txt (already complete, sha256 " + Sha256Hex("alpha") + ")", put.Output, StringComparison.Ordinal);
        Assert.Contains("skipped /t/b.txt (already complete, sha256 " + Sha256Hex("bravo") + ")", put.Output, StringComparison.Ordinal);
        Assert.Contains("2 files: 0 sent, 2 skipped (already complete)", put.Output, StringComparison.Ordinal);
        Assert.Equal(old, File.GetLastWriteTimeUtc(Path.Combine(root, "t", "a.txt")));
        Assert.Equal(old, File.GetLastWriteTimeUtc(Path.Combine(root, "t", "b.txt")));

        // One changed (same size): only that one is sent.
        await File.WriteAllTextAsync(Path.Combine(tree, "b.txt"), "BRAVO", ct);
        put = await InProcess.RunAsync("--home", home, "files", "put", server, tree, "/t", "-r");
        Assert.True(put.ExitCode == 0, put.Error);
        Assert.Contains("skipped /t/a.txt", put.Output, StringComparison.Ordinal);
        Assert.Contains("put /t/b.txt (5 bytes) sha256 " + Sha256Hex("BRAVO"), put.Output, StringComparison.Ordinal);
        Assert.Contains("2 files: 1 sent, 1 skipped (already complete)", put.Output, StringComparison.Ordinal);
        Assert.Equal(old, File.GetLastWriteTimeUtc(Path.Combine(root, "t", "a.txt")));
        Assert.Equal("BRAVO", await File.ReadAllTextAsync(Path.Combine(root, "t", "b.txt"), ct));

        // The same for get -r.
        var copy = dir["copy"];
        var get = await InProcess.RunAsync("--home", home, "files", "get", server, "/t", copy, "-r");
        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Contains("2 files: 2 received, 0 skipped", get.Output, StringComparison.Ordinal);
        File.SetLastWriteTimeUtc(Path.Combine(copy, "a.txt"), old);
        await File.WriteAllTextAsync(Path.Combine(copy, "b.txt"), "bRaVo", ct);
        File.SetLastWriteTimeUtc(Path.Combine(copy, "b.txt"), old);
        get = await InProcess.RunAsync("--home", home, "files", "get", server, "/t", copy, "-r");
        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Contains("skipped /t/a.txt (already complete, sha256 " + Sha256Hex("alpha") + ")", get.Output, StringComparison.Ordinal);
        Assert.Contains("got /t/b.txt (5 bytes) sha256 " + Sha256Hex("BRAVO"), get.Output, StringComparison.Ordinal);
        Assert.Contains("2 files: 1 received, 1 skipped (already complete)", get.Output, StringComparison.Ordinal);
        Assert.Equal(old, File.GetLastWriteTimeUtc(Path.Combine(copy, "a.txt")));
        Assert.Equal("BRAVO", await File.ReadAllTextAsync(Path.Combine(copy, "b.txt"), ct));

        Assert.Equal(0, await serve.InterruptAsync());
    }

    private static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
