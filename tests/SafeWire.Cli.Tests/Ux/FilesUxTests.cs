using System.Globalization;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Ux;

/// <summary><c>safewire files</c> in process: put into a folder like scp, an empty listing says so.</summary>
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
}
