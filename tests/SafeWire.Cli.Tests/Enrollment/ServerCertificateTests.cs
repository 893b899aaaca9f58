using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Enrollment;

/// <summary>Servers issue their own certificate for the addresses they listen on, but never replace one issued by hand.</summary>
public sealed class ServerCertificateTests
{
    [Fact]
    public async Task AHandIssuedServerCertificateIsKeptWhileAnAutoIssuedOneFollowsTheListenAddress()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["share"]);
        var manual = dir["manual"];
        Assert.Equal(0, (await SafeWireProcess.RunAsync(["--home", manual, "ca", "init"])).ExitCode);
        var issue = await SafeWireProcess.RunAsync(["--home", manual, "cert", "issue", "files", "--server", "--dns", "files.example", "--ip", "127.0.0.1"]);
        Assert.True(issue.ExitCode == 0, issue.Error);
        var handIssued = await File.ReadAllBytesAsync(Path.Combine(manual, "certs", "files.crt"), TestContext.Current.CancellationToken);
        await using (var server = SafeWireProcess.Start(["--home", manual, "files", "serve", "--root", dir["share"], "--port", "0"]))
        {
            await server.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromSeconds(60));
        }

        Assert.Equal(handIssued, await File.ReadAllBytesAsync(Path.Combine(manual, "certs", "files.crt"), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(manual, "certs", "files.crt.auto")));

        var auto = dir["auto"];
        await using (var server = SafeWireProcess.Start(["--home", auto, "files", "serve", "--root", dir["share"], "--port", "0"]))
        {
            await server.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromSeconds(60));
        }

        Assert.True(File.Exists(Path.Combine(auto, "certs", "files.crt.auto")));
        var first = await File.ReadAllBytesAsync(Path.Combine(auto, "certs", "files.crt"), TestContext.Current.CancellationToken);
        await using (var server = SafeWireProcess.Start(["--home", auto, "files", "serve", "--root", dir["share"], "--port", "0", "--host", "127.0.0.2"]))
        {
            await server.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromSeconds(60));
        }

        var second = await File.ReadAllBytesAsync(Path.Combine(auto, "certs", "files.crt"), TestContext.Current.CancellationToken);
        Assert.NotEqual(first, second);
        var shown = await SafeWireProcess.RunAsync(["--home", auto, "cert", "show", Path.Combine(auto, "certs", "files.crt")]);
        Assert.Contains("127.0.0.2", shown.Output, StringComparison.Ordinal);
    }
}
