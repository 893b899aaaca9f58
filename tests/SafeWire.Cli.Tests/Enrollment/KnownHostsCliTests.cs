using System.Text.RegularExpressions;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Enrollment;

/// <summary><c>safewire known-hosts list | forget</c> with a real server whose key changes under a client that trusted it on first use.</summary>
public sealed partial class KnownHostsCliTests
{
    [Fact]
    public async Task AChangedServerKeyIsRefusedWithTheFixAndForgetLetsTheNextConnectionTrustTheNewKey()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir["share"]);
        var client = dir["client"];

        int port;
        string firstKey;
        await using (var first = SafeWireProcess.Start(["--home", dir["server1"], "files", "serve", "--root", dir["share"], "--port", "0"]))
        {
            await first.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromSeconds(60));
            port = int.Parse(PortPattern().Match(first.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            firstKey = KeyPattern().Match(first.Output).Groups[1].Value;

            // Trusted on first use, then refused by the server's allow-list: the key is remembered all the same.
            var refused = await SafeWireProcess.RunAsync(["--home", client, "files", "ls", $"127.0.0.1:{port}", "--trust-on-first-use"]);
            Assert.NotEqual(0, refused.ExitCode);
        }

        var listed = await Ok(client, "known-hosts", "list");
        Assert.Contains($"127.0.0.1:{port} {firstKey} (key trusted on first use", listed, StringComparison.Ordinal);

        await using (var second = SafeWireProcess.Start(["--home", dir["server2"], "files", "serve", "--root", dir["share"], "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await second.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromSeconds(60));
            var secondKey = KeyPattern().Match(second.Output).Groups[1].Value;
            Assert.NotEqual(firstKey, secondKey);

            // A known host's changed key is refused whatever the options say.
            var changed = await SafeWireProcess.RunAsync(["--home", client, "files", "ls", $"127.0.0.1:{port}", "--trust-on-first-use"]);
            Assert.Equal(1, changed.ExitCode);
            Assert.Contains($"THE KEY OF 127.0.0.1:{port} HAS CHANGED", changed.Error, StringComparison.Ordinal);
            Assert.Contains($"run: safewire known-hosts forget 127.0.0.1:{port}", changed.Error, StringComparison.Ordinal);

            var forgot = await Ok(client, "known-hosts", "forget", $"127.0.0.1:{port}");
            Assert.Contains($"forgot 127.0.0.1:{port} {firstKey}", forgot, StringComparison.Ordinal);
            Assert.DoesNotContain(firstKey, await File.ReadAllTextAsync(Path.Combine(client, "known_hosts"), TestContext.Current.CancellationToken), StringComparison.Ordinal);

            var again = await SafeWireProcess.RunAsync(["--home", client, "files", "ls", $"127.0.0.1:{port}", "--trust-on-first-use"]);
            Assert.DoesNotContain("HAS CHANGED", again.Error, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{port} {secondKey}", await Ok(client, "known-hosts", "list"), StringComparison.Ordinal);
        }

        var unknown = await SafeWireProcess.RunAsync(["--home", client, "known-hosts", "forget", "192.0.2.7"]);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("192.0.2.7 is not a known host of this home", unknown.Error, StringComparison.Ordinal);

        // HOST alone forgets every port of it.
        await Ok(client, "known-hosts", "forget", "127.0.0.1");
        Assert.Contains("no known hosts yet", await Ok(client, "known-hosts", "list"), StringComparison.Ordinal);
    }

    private static async Task<string> Ok(string home, params string[] args)
    {
        var result = await SafeWireProcess.RunAsync(["--home", home, .. args]);
        Assert.True(result.ExitCode == 0, $"safewire {string.Join(' ', args)} exited {result.ExitCode}\n{result.Output}\n{result.Error}");
        return result.Output;
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex PortPattern();

    [GeneratedRegex(@"Server key fingerprint: (SHA256:\S+)")]
    private static partial Regex KeyPattern();
}
