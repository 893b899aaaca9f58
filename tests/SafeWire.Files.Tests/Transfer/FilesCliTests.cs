using System.Globalization;
using SafeWire.Files.Tests.Support;
using SafeWire.TestSupport;

namespace SafeWire.Files.Tests.Transfer;

/// <summary>The real <c>safewire files</c> executable: serve, refusal before allow, then put/get/ls/mkdir/rm and trees.</summary>
public sealed class FilesCliTests
{
    [Fact]
    public async Task Serve_allow_then_transfer_through_the_executable()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        var root = dir["root"];
        Directory.CreateDirectory(root);
        var port = FreePort.Next();
        var server = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        await using var serve = SafeWireProcess.Start(["--home", home, "files", "serve", "--root", root, "--port", port.ToString(CultureInfo.InvariantCulture)]);
        await serve.WaitForOutputAsync("Press Ctrl+C");

        var refused = await Run(home, "files", "ls", server);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("safewire: ", refused.Error, StringComparison.Ordinal);
        Assert.Contains("not on the allow-list", serve.Output, StringComparison.Ordinal);

        var allow = await Run(home, "allow", "add", Path.Combine(home, "keys", "node.pub"), "--name", "client");
        Assert.True(allow.ExitCode == 0, allow.Error);

        var source = TestFiles.Random(dir["source.bin"], 5 * 1024 * 1024 + 3, seed: 12);
        var put = await Run(home, "files", "put", server, source, "/in/source.bin");
        Assert.Equal(1, put.ExitCode); // /in does not exist yet
        Assert.Equal(0, (await Run(home, "files", "mkdir", server, "/in")).ExitCode);
        put = await Run(home, "files", "put", server, source, "/in/source.bin");
        Assert.True(put.ExitCode == 0, put.Error);
        Assert.Contains("sha256 " + TestFiles.Sha256(source).ToLowerInvariant(), put.Output, StringComparison.Ordinal);

        var ls = await Run(home, "files", "ls", server, "/in");
        Assert.Contains(" source.bin", ls.Output, StringComparison.Ordinal);
        Assert.Contains("5242883", ls.Output, StringComparison.Ordinal);

        var get = await Run(home, "files", "get", server, "/in/source.bin", dir["copy.bin"]);
        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(dir["copy.bin"]));

        var tree = dir["tree"];
        TestFiles.Random(Path.Combine(tree, "a", "b", "deep.bin"), 40_000, seed: 1);
        TestFiles.Random(Path.Combine(tree, "top.txt"), 10, seed: 2);
        Assert.Equal(0, (await Run(home, "files", "put", server, tree, "/tree", "-r")).ExitCode);
        Assert.Equal(0, (await Run(home, "files", "get", server, "/tree", dir["tree-copy"], "-r")).ExitCode);
        Assert.Equal(TestFiles.Tree(tree), TestFiles.Tree(dir["tree-copy"]));

        var escape = await Run(home, "files", "get", server, "/../home/allowed.txt", dir["stolen"]);
        Assert.Equal(1, escape.ExitCode);
        Assert.False(File.Exists(dir["stolen"]));

        Assert.Equal(0, (await Run(home, "files", "rm", server, "/in/source.bin")).ExitCode);
        Assert.False(File.Exists(Path.Combine(root, "in", "source.bin")));
    }

    private static Task<ProcessResult> Run(string home, params string[] args) => SafeWireProcess.RunAsync(["--home", home, .. args], timeout: TimeSpan.FromSeconds(90));
}
