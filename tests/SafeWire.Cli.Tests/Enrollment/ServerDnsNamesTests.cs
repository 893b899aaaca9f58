using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
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
    [Fact]
    public async Task FilesServeOnEveryAddressNamesTheDnsNamesAndTheInterfaceAddresses()
    {
        var interfaces = InterfaceIPv4Addresses();
        Assert.SkipWhen(interfaces.Count == 0, "this machine has no network interface besides loopback");
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["share"]);
        await using (var server = InProcess.Start("--home", dir["home"], "files", "serve", "--root", dir["share"], "--host", "0.0.0.0", "--port", "0", "--dns", "files.example.test", "--dns", "backup.example.test"))
        {
            await server.WaitForAsync("Press Ctrl+C to stop.");
        }

        var names = Names(Path.Combine(dir["home"], "certs", "files.crt"));
        Assert.Contains("files.example.test", names);
        Assert.Contains("backup.example.test", names);
        Assert.Contains("localhost", names);
        Assert.Contains("127.0.0.1", names);
        Assert.All(interfaces, ip => Assert.Contains(ip, names));
        Assert.True(File.Exists(Path.Combine(dir["home"], "certs", "files.crt.auto")));
    }

    [Fact]
    public async Task VoteServeOnEveryAddressNamesTheInterfaceAddresses()
    {
        var interfaces = InterfaceIPv4Addresses();
        Assert.SkipWhen(interfaces.Count == 0, "this machine has no network interface besides loopback");
        using var dir = new TempDirectory();
        var init = await InProcess.RunAsync("--home", dir["home"], "vote", "init", "town", "--candidates", "3");
        Assert.True(init.ExitCode == 0, init.Error);
        await using (var server = InProcess.Start("--home", dir["home"], "vote", "serve", "town", "--bind", "0.0.0.0", "--port", "0"))
        {
            await server.WaitForAsync("serving election");
        }

        var names = Names(Path.Combine(dir["home"], "certs", "vote-server.crt"));
        Assert.Contains("127.0.0.1", names);
        Assert.All(interfaces, ip => Assert.Contains(ip, names));
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

    /// <summary>The IPv4 addresses of this machine's interfaces that are up, loopback aside: what a server on 0.0.0.0 is reached by.</summary>
    private static List<string> InterfaceIPv4Addresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .Where(ip => ip.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(ip))
            .Select(ip => ip.ToString())
            .Distinct()
            .ToList();
}
