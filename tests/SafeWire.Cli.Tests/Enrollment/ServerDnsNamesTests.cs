using SafeWire.Cli.Tests.TwoMachines;
using SafeWire.Cli.Tests.Ux;
using SafeWire.Identity;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Enrollment;

/// <summary>
/// The certificate a server issues itself names the addresses it listens on (every interface address on 0.0.0.0)
/// and the <c>--dns</c> names given; it is re-issued when those change, and a certificate issued by hand stays.
/// </summary>
public sealed class ServerDnsNamesTests
{
    // Servers on 0.0.0.0 run inside a network namespace the test creates, so the only interface address they see
    // (and must name) is the namespace's own, and nothing listens on the host's interfaces.
    [Fact]
    public async Task FilesServeOnEveryAddressNamesTheDnsNamesAndTheInterfaceAddresses()
    {
        using var net = NetworkPair.CreateOrSkip();
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["share"]);
        await using (var server = NamespacedSafeWire.Start(net.ServerNamespace, ["--home", dir["home"], "files", "serve", "--root", dir["share"], "--host", "0.0.0.0", "--port", "0", "--dns", "files.example.test", "--dns", "backup.example.test"]))
        {
            await server.WaitForOutputAsync("Press Ctrl+C to stop.");
        }

        var names = Names(Path.Combine(dir["home"], "certs", "files.crt"));
        Assert.Contains("files.example.test", names);
        Assert.Contains("backup.example.test", names);
        Assert.Contains("localhost", names);
        Assert.Contains("127.0.0.1", names);
        Assert.Contains(NetworkPair.ServerAddress, names);
        Assert.True(File.Exists(Path.Combine(dir["home"], "certs", "files.crt.auto")));
    }

    [Fact]
    public async Task VoteServeOnEveryAddressNamesTheInterfaceAddresses()
    {
        using var net = NetworkPair.CreateOrSkip();
        using var dir = new TempDirectory();
        var init = await InProcess.RunAsync("--home", dir["home"], "vote", "init", "town", "--candidates", "3");
        Assert.True(init.ExitCode == 0, init.Error);
        await using (var server = NamespacedSafeWire.Start(net.ServerNamespace, ["--home", dir["home"], "vote", "serve", "town", "--bind", "0.0.0.0", "--port", "0"]))
        {
            await server.WaitForOutputAsync("serving election");
        }

        var names = Names(Path.Combine(dir["home"], "certs", "vote-server.crt"));
        Assert.Contains("127.0.0.1", names);
        Assert.Contains(NetworkPair.ServerAddress, names);
    }

    [Fact]
    public async Task AnAutoIssuedCertificateFollowsTheDnsNamesAndAHandIssuedOneStays()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["share"]);
        var auto = dir["auto"];
        await ServeFilesAsync(auto, dir["share"], "--dns", "old.example.test");
        var first = Names(Path.Combine(auto, "certs", "files.crt"));
        Assert.Contains("old.example.test", first);

        await ServeFilesAsync(auto, dir["share"], "--dns", "new.example.test");
        var second = Names(Path.Combine(auto, "certs", "files.crt"));
        Assert.Contains("new.example.test", second);
        Assert.DoesNotContain("old.example.test", second);

        var manual = dir["manual"];
        Assert.Equal(0, (await InProcess.RunAsync("--home", manual, "ca", "init")).ExitCode);
        var issue = await InProcess.RunAsync("--home", manual, "cert", "issue", "files", "--server", "--dns", "files.example.test", "--ip", "127.0.0.1");
        Assert.True(issue.ExitCode == 0, issue.Error);
        var certificate = Path.Combine(manual, "certs", "files.crt");
        var handIssued = await File.ReadAllBytesAsync(certificate, TestContext.Current.CancellationToken);
        await ServeFilesAsync(manual, dir["share"], "--dns", "other.example.test");
        Assert.Equal(handIssued, await File.ReadAllBytesAsync(certificate, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(certificate + ".auto"));
    }

    [Fact]
    public async Task ADnsOptionThatIsNotAHostNameIsRefused()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["share"]);
        var run = await InProcess.RunAsync("--home", dir["home"], "files", "serve", "--root", dir["share"], "--port", "0", "--dns", "bad name!");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--dns bad name!: not a host name", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir["home"], "certs", "files.crt")));
    }

    private static async Task ServeFilesAsync(string home, string share, params string[] extra)
    {
        await using var server = InProcess.Start(["--home", home, "files", "serve", "--root", share, "--port", "0", .. extra]);
        await server.WaitForAsync("Press Ctrl+C to stop.");
    }

    private static HashSet<string> Names(string certificatePath)
    {
        using var certificate = CertificateFile.Read(certificatePath);
        return CaVerifier.SubjectAltNames(certificate).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }
}
