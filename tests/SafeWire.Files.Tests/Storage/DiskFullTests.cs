using System.Diagnostics;
using System.Globalization;
using System.Text;
using SafeWire.Files.Ftp;
using SafeWire.Files.Tests.Support;
using SafeWire.TestSupport;

namespace SafeWire.Files.Tests.Storage;

/// <summary>
/// A full disk, for real: each server runs (the safewire executable) in a mount namespace of its own whose served
/// root is a 1 MiB tmpfs. The client hears that the disk is full (not "Broken pipe"), and the failed upload's
/// partial file is gone, so the next upload that fits succeeds. Needs root for the namespace; skipped without it.
/// </summary>
public sealed class DiskFullTests
{
    [Fact]
    public async Task Ftp_upload_to_a_full_disk_gets_452_and_frees_its_partial_file()
    {
        await SkipUnlessNamespacesAsync();
        using var dir = new TempDirectory();
        var root = dir["root"];
        Directory.CreateDirectory(root);
        var users = dir["users.txt"];
        FtpUserStore.AddOrReplace(users, "carol", "s3cret-pass", readOnly: false, iterations: 1000);
        var port = FreePort.Next();
        using var server = StartInTinyRoot(root, "ftp", "serve", "--root", root, "--port", Text(port), "--users", users, "--cert", TestCertificates.Shared.ServerCertPemPath, "--key", TestCertificates.Shared.ServerKeyPemPath);
        await server.WaitForAsync("Press Ctrl+C");
        string[] common = ["-sS", "--noproxy", "*", "--max-time", "60", "--ssl-reqd", "--cacert", TestCertificates.Shared.CaPemPath, "--user", "carol:s3cret-pass"];

        var big = await ExternalTool.RunAsync("curl", [.. common, "-T", TestFiles.Random(dir["big.bin"], 2 * 1024 * 1024, seed: 1), $"ftp://127.0.0.1:{Text(port)}/big.bin"]);
        var small = await ExternalTool.RunAsync("curl", [.. common, "-T", TestFiles.Random(dir["small.bin"], 300 * 1024, seed: 2), $"ftp://127.0.0.1:{Text(port)}/small.bin"]);
        var list = await ExternalTool.RunAsync("curl", [.. common, "-l", $"ftp://127.0.0.1:{Text(port)}/"]);

        Assert.NotEqual(0, big.ExitCode);
        Assert.Contains("452", big.Error, StringComparison.Ordinal);
        Assert.Contains("disk is full", server.Output, StringComparison.Ordinal);
        Assert.True(small.ExitCode == 0, small + server.Output);
        Assert.Equal("small.bin", list.Output.Trim());
    }

    [Fact]
    public async Task Files_put_to_a_full_disk_says_so_and_frees_its_partial_file()
    {
        await SkipUnlessNamespacesAsync();
        using var dir = new TempDirectory();
        var home = dir["home"];
        var root = dir["root"];
        Directory.CreateDirectory(root);
        var port = FreePort.Next();
        var address = "127.0.0.1:" + Text(port);
        using var server = StartInTinyRoot(root, "--home", home, "files", "serve", "--root", root, "--port", Text(port));
        await server.WaitForAsync("Press Ctrl+C");
        await Run(home, "files", "ls", address); // creates the client's credential; refused until allowed
        Assert.Equal(0, (await Run(home, "allow", "add", Path.Combine(home, "keys", "node.pub"), "--name", "client")).ExitCode); // the home identity the client presents

        var big = await Run(home, "files", "put", address, TestFiles.Random(dir["big.bin"], 2 * 1024 * 1024, seed: 1), "/big.bin");
        var small = await Run(home, "files", "put", address, TestFiles.Random(dir["small.bin"], 300 * 1024, seed: 2), "/small.bin");
        var list = await Run(home, "files", "ls", address, "/");

        Assert.Equal(1, big.ExitCode);
        Assert.Contains("disk is full", big.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Broken pipe", big.Error, StringComparison.Ordinal);
        Assert.True(small.ExitCode == 0, small.Error + server.Output);
        Assert.Contains("small.bin", list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("big.bin", list.Output, StringComparison.Ordinal);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static Task<ProcessResult> Run(string home, params string[] args) => SafeWireProcess.RunAsync(["--home", home, .. args], timeout: TimeSpan.FromSeconds(90));

    private static async Task SkipUnlessNamespacesAsync()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && ExternalTool.Exists("unshare"), "needs Linux and unshare");
        var probe = await ExternalTool.RunAsync("unshare", ["-m", "true"]);
        Assert.SkipUnless(probe.ExitCode == 0, "needs the right to create a mount namespace (root): " + probe.Error.Trim());
    }

    /// <summary>Starts safewire in a new mount namespace where <paramref name="root"/> is a 1 MiB tmpfs (gone with the process).</summary>
    private static ServerProcess StartInTinyRoot(string root, params string[] args)
    {
        var info = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-m", "sh", "-c", "mount -t tmpfs -o size=1m safewire-test \"$0\" && exec \"$@\"", root }.Concat(SafeWireProcess.Command).Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NO_COLOR"] = "1";
        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("unshare did not start."));
    }

    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        public ServerProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Output
        {
            get { lock (_output) { return _output.ToString(); } }
        }

        public async Task WaitForAsync(string text)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                Assert.False(_process.HasExited, "the server exited:\n" + Output);
                await Task.Delay(50, limit.Token);
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }
}
