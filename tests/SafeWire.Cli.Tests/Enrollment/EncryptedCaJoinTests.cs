using System.Globalization;
using System.Text.RegularExpressions;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Enrollment;

/// <summary>A server whose CA key is encrypted: invite needs no password, the server gets it with --ca-password-file.</summary>
public sealed partial class EncryptedCaJoinTests
{
    [Fact]
    public async Task AServerWithAnEncryptedCaKeyAcceptsJoinsGivenItsPasswordAndSaysSoWithoutIt()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["share"]);
        var server = dir["server"];
        var client = dir["client"];
        await File.WriteAllTextAsync(dir["pw"], "correct horse battery staple\n", TestContext.Current.CancellationToken);
        await Ok(server, "ca", "init", "--password-file", dir["pw"]);
        Assert.Contains("ENCRYPTED PRIVATE KEY", await File.ReadAllTextAsync(Path.Combine(server, "ca", "ca.key"), TestContext.Current.CancellationToken), StringComparison.Ordinal);

        var without = await SafeWireProcess.RunAsync(["--home", server, "files", "serve", "--root", dir["share"], "--port", "0"]);
        Assert.Equal(1, without.ExitCode);
        var line = Assert.Single(without.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("the home CA's key is encrypted; give its password with --ca-password-file FILE", line, StringComparison.Ordinal);

        await using var files = SafeWireProcess.Start(["--home", server, "files", "serve", "--root", dir["share"], "--port", "0", "--ca-password-file", dir["pw"]]);
        await files.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromSeconds(60));
        var port = int.Parse(PortPattern().Match(files.Output).Groups[1].Value, CultureInfo.InvariantCulture);

        var code = (await Ok(server, "invite", "alice", "--server-address", $"127.0.0.1:{port}")).Trim().Split('\n')[^1];
        Assert.Contains("joined 127.0.0.1:", await Ok(client, "join", code), StringComparison.Ordinal);
        await files.WaitForOutputAsync("alice joined as a client");
        await File.WriteAllTextAsync(dir["share/hello.txt"], "hi", TestContext.Current.CancellationToken);
        Assert.Contains("hello.txt", await Ok(client, "files", "ls", $"127.0.0.1:{port}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FtpServeIssuesItsCertificateFromAnEncryptedCaGivenItsPasswordAndSaysSoWithoutIt()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["pub"]);
        var server = dir["server"];
        await File.WriteAllTextAsync(dir["pw"], "correct horse battery staple\n", TestContext.Current.CancellationToken);
        await Ok(server, "ca", "init", "--password-file", dir["pw"]);

        var without = await SafeWireProcess.RunAsync(["--home", server, "ftp", "serve", "--root", dir["pub"], "--port", "0", "--implicit-port", "0"]);
        Assert.Equal(1, without.ExitCode);
        var line = Assert.Single(without.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("the home CA's key is encrypted; give its password with --ca-password-file FILE", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(server, "certs", "ftp.crt")));

        await using var ftp = SafeWireProcess.Start(["--home", server, "ftp", "serve", "--root", dir["pub"], "--port", "0", "--implicit-port", "0", "--ca-password-file", dir["pw"]]);
        await ftp.WaitForOutputAsync("FTPS (implicit, ftps://) listening on", TimeSpan.FromSeconds(60));
        Assert.True(File.Exists(Path.Combine(server, "certs", "ftp.crt")));
    }

    private static async Task<string> Ok(string home, params string[] args)
    {
        var result = await SafeWireProcess.RunAsync(["--home", home, .. args]);
        Assert.True(result.ExitCode == 0, $"safewire {string.Join(' ', args)} exited {result.ExitCode}\n{result.Output}\n{result.Error}");
        return result.Output;
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex PortPattern();
}
