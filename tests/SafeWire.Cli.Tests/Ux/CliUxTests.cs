using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Ux;

/// <summary>What a new user meets first: one-line errors, plain output, the original designs' commands, --suite.</summary>
public sealed class CliUxTests
{
    private static void OneErrorLine(CliRun run, int exitCode, string expected)
    {
        Assert.True(run.ExitCode == exitCode, $"exit {run.ExitCode}, expected {exitCode}\n{run.Output}\n{run.Error}");
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("safewire", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown verb \"chatt\"; see: safewire --help", "chatt")]
    [InlineData("--port: \"abc\" is not a number; see: safewire serve --help", "serve", "--port", "abc")]
    [InlineData("missing argument FILE|NAME; see: safewire keys show --help", "keys", "show")]
    [InlineData("unexpected argument \"--bogus\"; see: safewire init --help", "init", "--bogus", "x")]
    public async Task BadArgumentsGiveOneLineAndExitCode2(string expected, params string[] args)
    {
        var run = await InProcess.RunAsync(args);
        OneErrorLine(run, 2, expected);
        Assert.Equal(string.Empty, run.Output); // no 25 lines of help before it
    }

    [Fact]
    public async Task HomeThatIsAFileIsRefusedInOneLine()
    {
        using var dir = new TempDirectory();
        var file = dir["not-a-dir"];
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        var run = await InProcess.RunAsync("--home", file, "init");
        OneErrorLine(run, 1, "is a file, not a directory");
    }

    [Fact]
    public async Task HelpSpeaksToUsers()
    {
        foreach (var path in AllCommandPaths(SafeWireCli.Create(), []))
        {
            var run = await InProcess.RunAsync([.. path, "--help"]);
            Assert.Equal(0, run.ExitCode);
            foreach (var word in new[] { "seed", "Seed", "S0.", "T.5", "M.6", "h11", "STYLE" })
            {
                Assert.False(run.Output.Contains(word, StringComparison.Ordinal), $"safewire {string.Join(' ', path)} --help says \"{word}\":\n{run.Output}");
            }
        }
    }

    private static IEnumerable<string[]> AllCommandPaths(System.CommandLine.Command command, string[] prefix)
    {
        yield return prefix;
        foreach (var sub in command.Subcommands)
        {
            foreach (var path in AllCommandPaths(sub, [.. prefix, sub.Name]))
            {
                yield return path;
            }
        }
    }

    [Fact]
    public async Task VerifyReceiptOnAWrongFileSaysWhatItIs()
    {
        using var dir = new TempDirectory();
        var wrong = dir["notes.txt"];
        await File.WriteAllTextAsync(wrong, "shopping list\n", TestContext.Current.CancellationToken);
        var run = await InProcess.RunAsync("--home", dir["home"], "vote", "verify-receipt", wrong);
        OneErrorLine(run, 1, "is not a SafeWire vote receipt");
        Assert.DoesNotContain("JSON", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertShowTakesANameAndRevokeRefusesAnUnknownSerial()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        Assert.Equal(0, (await InProcess.RunAsync("--home", home, "ca", "init")).ExitCode);
        Assert.Equal(0, (await InProcess.RunAsync("--home", home, "cert", "issue", "alice", "--client")).ExitCode);
        var show = await InProcess.RunAsync("--home", home, "cert", "show", "alice");
        Assert.True(show.ExitCode == 0, show.Error);
        Assert.Contains("CN=alice", show.Output, StringComparison.Ordinal);

        OneErrorLine(await InProcess.RunAsync("--home", home, "cert", "show", "nobody"), 1, "no certificate named \"nobody\"");

        var crlBefore = await File.ReadAllBytesAsync(Path.Combine(home, "ca", "crl.pem"), TestContext.Current.CancellationToken);
        OneErrorLine(await InProcess.RunAsync("--home", home, "cert", "revoke", "DEADBEEF"), 1, "DEADBEEF from this CA");
        Assert.Equal(crlBefore, await File.ReadAllBytesAsync(Path.Combine(home, "ca", "crl.pem"), TestContext.Current.CancellationToken));
        Assert.Equal(0, (await InProcess.RunAsync("--home", home, "cert", "revoke", "DEADBEEF", "--force")).ExitCode);
    }

    [Fact]
    public async Task AllowImportFailsOnABadFirstRowAndAcceptsPkcs1RsaKeys()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        var bad = dir["bad.csv"];
        await File.WriteAllTextAsync(bad, "alice,SHA256:tooshort\nbob,SHA256:alsobad\n", TestContext.Current.CancellationToken);
        OneErrorLine(await InProcess.RunAsync("--home", home, "allow", "import", bad), 1, "row 1");

        using var rsa = RSA.Create(2048);
        var pkcs1 = dir["rsa.pem"];
        await File.WriteAllTextAsync(pkcs1, rsa.ExportRSAPublicKeyPem(), TestContext.Current.CancellationToken);
        var fingerprint = Fingerprint.Of(rsa.ExportSubjectPublicKeyInfo());
        var add = await InProcess.RunAsync("--home", home, "allow", "add", pkcs1, "--name", "carol", "--comment", "laptop");
        Assert.True(add.ExitCode == 0, add.Error);
        Assert.Contains(fingerprint, add.Output, StringComparison.Ordinal);

        // Re-adding the key under a new name keeps its comment.
        Assert.Equal(0, (await InProcess.RunAsync("--home", home, "allow", "add", fingerprint, "--name", "carol2")).ExitCode);
        var entry = Assert.Single(AllowList.Load(Path.Combine(home, "allowed.txt")).Entries);
        Assert.Equal(("carol2", "laptop"), (entry.Name, entry.Comment));

        // A CSV with a PKCS#1 key, quoted, after a header row.
        var csv = dir["allowed.csv"];
        using var other = RSA.Create(2048);
        await File.WriteAllTextAsync(csv, $"name,public_key\ndave,\"{other.ExportRSAPublicKeyPem()}\"\n", TestContext.Current.CancellationToken);
        var import = await InProcess.RunAsync("--home", home, "allow", "import", csv);
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Contains(AllowList.Load(Path.Combine(home, "allowed.txt")).Entries, e => e.Fingerprint == Fingerprint.Of(other.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void ClientRegistryWritesPlusAsPlus()
    {
        using var dir = new TempDirectory();
        var fingerprint = "SHA256:" + Convert.ToBase64String([.. Enumerable.Repeat<byte[]>([0xFB, 0xEF, 0xBE], 11).SelectMany(b => b).Take(32)]).TrimEnd('=');
        Assert.Contains("+", fingerprint, StringComparison.Ordinal);
        var registry = new ClientRegistry(dir["clients.jsonl"]);
        registry.Record(fingerprint, "alice", "127.0.0.1:1", DateTimeOffset.UnixEpoch);
        var text = File.ReadAllText(dir["clients.jsonl"]);
        Assert.Contains(fingerprint, text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", text, StringComparison.Ordinal);
        Assert.Equal(fingerprint, new ClientRegistry(dir["clients.jsonl"]).Find(fingerprint)?.Fingerprint);
    }

    [Fact]
    public async Task VoteResultsRedirectedArePlainText()
    {
        using var dir = new TempDirectory();
        var home = dir["home"];
        Assert.Equal(0, (await SafeWireProcess.RunAsync(["--home", home, "vote", "init", "town", "--candidates", "3"])).ExitCode);
        Assert.Equal(0, (await SafeWireProcess.RunAsync(["--home", home, "vote", "close", "town"])).ExitCode);
        // A colour terminal type and no NO_COLOR: the output still goes to a pipe, so it must be plain.
        var run = await SafeWireProcess.RunAsync(["--home", home, "vote", "results", "town"], environment: new Dictionary<string, string?> { ["NO_COLOR"] = null, ["TERM"] = "xterm-256color", ["COLORTERM"] = "truecolor" });
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("town", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", run.Output, StringComparison.Ordinal);
    }
}
