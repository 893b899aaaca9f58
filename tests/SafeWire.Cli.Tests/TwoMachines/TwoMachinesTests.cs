using System.Security.Cryptography;
using System.Text.RegularExpressions;
using SafeWire.Enrollment;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.TwoMachines;

/// <summary>
/// SafeWire on two machines: two network namespaces joined by a veth pair, a home in each, and nothing passed from
/// one to the other but the join code that <c>safewire invite</c> prints. The joining machine dials the server's
/// address on the link; every verb runs as the real executable.
/// </summary>
public sealed partial class TwoMachinesTests
{
    private const string Server = NetworkPair.ServerAddress;

    [Fact]
    public async Task TwoEmptyHomesJoinWithTheCodeAloneThenEveryVerbWorksAndEveryRefusalSaysWhy()
    {
        using var net = NetworkPair.CreateOrSkip();
        using var dir = new TempDirectory();
        var serverHome = dir["server-home"];
        var clientHome = dir["client-home"];
        var impostorHome = dir["impostor-home"];
        Directory.CreateDirectory(dir["served"]);
        Directory.CreateDirectory(dir["inbox"]);
        Directory.CreateDirectory(dir["client-files"]);
        var payload = RandomNumberGenerator.GetBytes(200_000);
        await File.WriteAllBytesAsync(dir["client-files/report.bin"], payload, TestContext.Current.CancellationToken);

        // Machine A: a file server that accepts joins, and an invitation for machine B.
        await using var files = NamespacedSafeWire.Start(net.ServerNamespace, ["--home", serverHome, "files", "serve", "--root", dir["served"], "--host", Server, "--port", "7022"]);
        await files.WaitForOutputAsync("Press Ctrl+C to stop.");
        var invite = await OnServer(net, serverHome, "invite", "alice", "--server-address", Server + ":7022");
        var code = invite.Output.Trim().Split('\n')[^1].Trim();
        Assert.StartsWith(JoinCode.Prefix, code, StringComparison.Ordinal);

        // Refusals before the join: a mistyped code, a code with a wrong secret, a code whose CA pin is not the server's.
        var mistyped = code[..30] + (code[30] == '7' ? '8' : '7') + code[31..];
        var typo = await Fails(net.ClientNamespace, clientHome, "join", mistyped);
        Assert.Contains("mistyped", typo, StringComparison.Ordinal);
        var parsed = JoinCode.Parse(code);
        var wrong = await Fails(net.ClientNamespace, clientHome, "join", (parsed with { Secret = RandomNumberGenerator.GetBytes(JoinCode.SecretLength) }).ToString());
        Assert.Contains("not valid on this server", wrong, StringComparison.Ordinal);
        var pinned = await Fails(net.ClientNamespace, clientHome, "join", (parsed with { CaPin = RandomNumberGenerator.GetBytes(32) }).ToString());
        Assert.Contains("is not the one that made this code", pinned, StringComparison.Ordinal);

        // Machine B joins with the code alone, over the link.
        var joined = await OnClient(net, clientHome, "join", code);
        Assert.Contains($"joined {Server}:7022 as alice (client)", joined.Output, StringComparison.Ordinal);
        await files.WaitForOutputAsync("alice joined as a client");
        var serial = SerialPattern().Match(files.Output).Groups[1].Value;
        Assert.NotEmpty(serial);

        var used = await Fails(net.ClientNamespace, clientHome, "join", code);
        Assert.Contains("used already", used, StringComparison.Ordinal);
        var shortLived = (await OnServer(net, serverHome, "invite", "bob", "--expires", "1s", "--server-address", Server + ":7022")).Output.Trim().Split('\n')[^1].Trim();
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var expired = await Fails(net.ClientNamespace, clientHome, "join", shortLived);
        Assert.Contains("expired", expired, StringComparison.Ordinal);
        string[] refusals = [typo, wrong, pinned, used, expired];
        Assert.Equal(refusals.Length, refusals.Distinct(StringComparer.Ordinal).Count());

        // Files: put, ls, get.
        await OnClient(net, clientHome, "files", "put", Server + ":7022", dir["client-files/report.bin"]);
        Assert.Equal(payload, await File.ReadAllBytesAsync(dir["served/report.bin"], TestContext.Current.CancellationToken));
        var listing = await OnClient(net, clientHome, "files", "ls", Server + ":7022");
        Assert.Contains("report.bin", listing.Output, StringComparison.Ordinal);
        await OnClient(net, clientHome, "files", "get", Server + ":7022", "/report.bin", dir["client-files/back.bin"]);
        Assert.Equal(payload, await File.ReadAllBytesAsync(dir["client-files/back.bin"], TestContext.Current.CancellationToken));

        // Chat, both admission modes: a certificate from the server's CA, and the allow-list the join added the key to.
        await using var chat = NamespacedSafeWire.Start(net.ServerNamespace, ["--home", serverHome, "serve", "--host", Server, "--port", "10101", "--require-client-cert"]);
        await chat.WaitForOutputAsync("admin console");
        await using var allowChat = NamespacedSafeWire.Start(net.ServerNamespace, ["--home", serverHome, "serve", "--host", Server, "--port", "10102", "--allow", Path.Combine(serverHome, "allowed.txt")]);
        await allowChat.WaitForOutputAsync("admin console");
        var sent = await OnClient(net, clientHome, "send", Server + ":10101", "hello", "over", "the", "link");
        Assert.Contains("acknowledged message 1 from alice", sent.Output, StringComparison.Ordinal);
        await chat.WaitForOutputAsync("alice: hello over the link");
        await chat.WaitForOutputAsync($"from {NetworkPair.ClientAddress}:");
        await OnClient(net, clientHome, "send", Server + ":10102", "allow-listed");
        await allowChat.WaitForOutputAsync("alice: allow-listed");

        // The key manager and two peers: alice waits on machine B, the server's own home sends from machine A.
        await using var km = NamespacedSafeWire.Start(net.ServerNamespace, ["--home", serverHome, "km", "serve", "--host", Server, "--port", "7000"]);
        await km.WaitForOutputAsync("Ctrl+C stops");
        await using var waiter = NamespacedSafeWire.Start(net.ClientNamespace, ["--home", clientHome, "peer", "wait", Server + ":7000", "--out", dir["inbox"], "--accept-all", "--name", "alice"]);
        await waiter.WaitForOutputAsync("Waiting as peer");
        await OnServer(net, serverHome, "peer", "send", Server + ":7000", dir["served/report.bin"], "--to", "alice", "--name", "bob");
        await waiter.WaitForOutputAsync("saved ");
        Assert.Equal(payload, await File.ReadAllBytesAsync(dir["inbox/report.bin"], TestContext.Current.CancellationToken));
        Assert.Contains($"Listening on {NetworkPair.ClientAddress}:", waiter.Output, StringComparison.Ordinal);

        // Revoked: the administrator revokes the certificate issued at the join; the CA-admitted chat refuses it.
        await OnServer(net, serverHome, "cert", "revoke", serial);
        var revoked = await SafeWireFailsIn(net.ClientNamespace, clientHome, "send", Server + ":10101", "after", "revocation");
        Assert.Contains("was revoked by the CA", revoked, StringComparison.Ordinal);
        // The revocation also took the key off the allow-list the join put it on: the file server refuses it too.
        var shutOut = await SafeWireFailsIn(net.ClientNamespace, clientHome, "files", "ls", Server + ":7022");
        Assert.Contains("does not allow your key SHA256:", shutOut, StringComparison.Ordinal);

        // A changed server: another home (another CA) answers on the address B joined; every client verb refuses it.
        await files.DisposeAsync();
        await using var impostor = NamespacedSafeWire.Start(net.ServerNamespace, ["--home", impostorHome, "files", "serve", "--root", dir["served"], "--host", Server, "--port", "7022"]);
        await impostor.WaitForOutputAsync("Press Ctrl+C to stop.");
        var changed = await SafeWireFailsIn(net.ClientNamespace, clientHome, "files", "ls", Server + ":7022");
        Assert.Contains("HAS CHANGED", changed, StringComparison.Ordinal);
        string[] all = [.. refusals, revoked, shutOut, changed];
        foreach (var line in all)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(line);
        }

        Assert.Equal(all.Length, all.Distinct(StringComparer.Ordinal).Count());

        // Nothing secret crossed: the CA key exists only in the server's home, and no home holds another's private key.
        AssertNoForeignPrivateKeys(serverHome, clientHome, impostorHome);
        Assert.False(File.Exists(Path.Combine(clientHome, "ca", "ca.key")), "the joined home made a CA of its own");
    }

    private static void AssertNoForeignPrivateKeys(params string[] homes)
    {
        var privateKeys = homes.ToDictionary(h => h, h => Directory.EnumerateFiles(h, "*", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            .Select(f => (Path: f, Body: PemBody(File.ReadAllText(f))))
            .ToList());
        foreach (var (home, keys) in privateKeys)
        {
            foreach (var key in keys)
            {
                foreach (var other in homes.Where(h => h != home))
                {
                    foreach (var file in Directory.EnumerateFiles(other, "*", SearchOption.AllDirectories))
                    {
                        var text = File.ReadAllText(file).Replace("\n", string.Empty, StringComparison.Ordinal);
                        Assert.False(text.Contains(key.Body[..64], StringComparison.Ordinal), $"{file} contains the private key {key.Path}");
                    }
                }
            }
        }

        // The joined home holds exactly one private key: its own identity.
        var client = privateKeys[homes[1]];
        Assert.Equal([Path.Combine(homes[1], "keys", "node.key")], client.Select(k => k.Path));
    }

    private static string PemBody(string pem) =>
        string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l.Trim()));

    private static Task<ProcessResult> OnServer(NetworkPair net, string home, params string[] args) => Ok(net.ServerNamespace, home, args);

    private static Task<ProcessResult> OnClient(NetworkPair net, string home, params string[] args) => Ok(net.ClientNamespace, home, args);

    private static async Task<ProcessResult> Ok(string networkNamespace, string home, string[] args)
    {
        var result = await NamespacedSafeWire.RunAsync(networkNamespace, ["--home", home, .. args]);
        Assert.True(result.ExitCode == 0, $"safewire {string.Join(' ', args)} exited {result.ExitCode}\nstdout:\n{result.Output}\nstderr:\n{result.Error}");
        return result;
    }

    /// <summary>Exit code 1 and exactly one line on stderr, "safewire: ..."; returns that line.</summary>
    private static async Task<string> Fails(string networkNamespace, string home, params string[] args)
    {
        var result = await NamespacedSafeWire.RunAsync(networkNamespace, ["--home", home, .. args]);
        Assert.True(result.ExitCode == 1, $"safewire {string.Join(' ', args)} should have failed with exit code 1, got {result.ExitCode}\nstdout:\n{result.Output}\nstderr:\n{result.Error}");
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("safewire: ", line, StringComparison.Ordinal);
        return line;
    }

    /// <summary>Any non-zero exit code with one line on stderr (chat's send uses its own exit codes).</summary>
    private static async Task<string> SafeWireFailsIn(string networkNamespace, string home, params string[] args)
    {
        var result = await NamespacedSafeWire.RunAsync(networkNamespace, ["--home", home, .. args]);
        Assert.True(result.ExitCode != 0, $"safewire {string.Join(' ', args)} should have failed\nstdout:\n{result.Output}\nstderr:\n{result.Error}");
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        return Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [GeneratedRegex("certificate serial ([0-9A-F]+)")]
    private static partial Regex SerialPattern();
}
