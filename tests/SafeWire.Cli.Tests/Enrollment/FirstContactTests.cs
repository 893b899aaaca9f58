using System.Globalization;
using System.Text.RegularExpressions;
using SafeWire.Cli.Tests.Ux;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.Enrollment;

/// <summary>
/// First contact with a server this home has no trust for, as ssh does it: on a terminal the key is shown and the user
/// asked; without one the connection is refused unless <c>--trust-on-first-use</c> or <c>--fingerprint</c> says what to
/// accept. And a server that refuses the client's key says which key and what the admin should run.
/// </summary>
public sealed partial class FirstContactTests
{
    [Fact]
    public async Task WithoutATerminalAnUnknownServerIsRefusedWithItsKeyAndNothingIsRecorded()
    {
        await using var server = await FileServer.StartAsync();

        var files = await InProcess.RunAsync("--home", server.ClientHome, "files", "ls", server.Address);
        Assert.Equal(1, files.ExitCode); // docs/FILES.md: errors exit 1
        var line = Assert.Single(files.ErrorLines);
        Assert.Contains($"the server at {server.Address} is not known to this home: its key is {server.Key}", line, StringComparison.Ordinal);
        Assert.Contains($"connect again with --fingerprint {server.Key}", line, StringComparison.Ordinal);
        Assert.Contains("localhost", line, StringComparison.Ordinal); // the names its certificate carries
        Assert.Null(server.KnownHosts());

        // chat and send decide the same way, with their own exit code for a refusal (docs/CHAT.md: 2).
        var send = await InProcess.RunAsync("--home", server.ClientHome, "send", server.Address, "hello", "--name", "alice");
        Assert.Equal(2, send.ExitCode);
        Assert.Contains($"is not known to this home: its key is {server.Key}", Assert.Single(send.ErrorLines), StringComparison.Ordinal);
        Assert.Null(server.KnownHosts());
    }

    [Fact]
    public async Task TheRightFingerprintConnectsAndIsRecordedAWrongOneIsRefusedNamingBoth()
    {
        await using var server = await FileServer.StartAsync();
        await server.AllowClientAsync();

        var wrongKey = "SHA256:" + new string('A', 43);
        var wrong = await InProcess.RunAsync("--home", server.ClientHome, "files", "ls", server.Address, "--fingerprint", wrongKey);
        Assert.Equal(1, wrong.ExitCode);
        var line = Assert.Single(wrong.ErrorLines);
        Assert.Contains($"presents the key {server.Key}, not {wrongKey} given with --fingerprint", line, StringComparison.Ordinal);
        Assert.Null(server.KnownHosts());

        var right = await InProcess.RunAsync("--home", server.ClientHome, "files", "ls", server.Address, "--fingerprint", server.Key);
        Assert.True(right.ExitCode == 0, right.Error);
        Assert.Contains($"{server.Address} {server.Key} ", server.KnownHosts(), StringComparison.Ordinal);

        // Remembered: the next connection needs no option.
        var again = await InProcess.RunAsync("--home", server.ClientHome, "files", "ls", server.Address);
        Assert.True(again.ExitCode == 0, again.Error);

        var both = await InProcess.RunAsync("--home", server.ClientHome, "files", "ls", server.Address, "--fingerprint", server.Key, "--trust-on-first-use");
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("give --trust-on-first-use or --fingerprint, not both", both.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnATerminalYesShowsTheKeyAndNamesThenConnectsAndRemembers()
    {
        await using var server = await FileServer.StartAsync();
        await server.AllowClientAsync();

        var run = await InProcess.RunOnTerminalAsync(new StringReader("y\n"), "--home", server.ClientHome, "files", "ls", server.Address);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains($"The server at {server.Address} is not known to this home.", run.Error, StringComparison.Ordinal);
        Assert.Contains($"Its key fingerprint is {server.Key}", run.Error, StringComparison.Ordinal);
        Assert.Matches("Its certificate names: files, localhost, .*127\\.0\\.0\\.1", run.Error);
        Assert.Contains("Trust this server and remember it? [y/N]", run.Error, StringComparison.Ordinal);
        Assert.Contains("empty directory", run.Output, StringComparison.Ordinal);
        Assert.Contains($"{server.Address} {server.Key} ", server.KnownHosts(), StringComparison.Ordinal);

        // Known now: no question the second time.
        var again = await InProcess.RunOnTerminalAsync(new StringReader(""), "--home", server.ClientHome, "files", "ls", server.Address);
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.DoesNotContain("[y/N]", again.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("n\n")]
    [InlineData("\n")] // Enter alone: the default is no
    [InlineData("")] // end of input
    public async Task OnATerminalAnythingButYesRefusesAndRecordsNothing(string answer)
    {
        await using var server = await FileServer.StartAsync();
        await server.AllowClientAsync();

        var run = await InProcess.RunOnTerminalAsync(new StringReader(answer), "--home", server.ClientHome, "files", "ls", server.Address);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Trust this server and remember it? [y/N]", run.Error, StringComparison.Ordinal);
        Assert.Contains($"safewire: not connected: the server at {server.Address} ({server.Key}) was not trusted; nothing was recorded", run.Error, StringComparison.Ordinal);
        Assert.Null(server.KnownHosts());
    }

    [Fact]
    public async Task AServerThatDoesNotAllowTheClientsKeySaysWhichKeyAndWhatItsAdminShouldRun()
    {
        await using var server = await FileServer.StartAsync();
        var clientKey = await server.ClientKeyAsync();

        var run = await InProcess.RunAsync("--home", server.ClientHome, "files", "ls", server.Address, "--trust-on-first-use");
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Equal(
            $"safewire: the server at {server.Address} does not allow your key {clientKey}; ask its admin to run: safewire allow add {clientKey} --name node (or to give you a join code: safewire invite node)",
            line);
        Assert.DoesNotContain("AccessDenied", line, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Server key fingerprint: (SHA256:\S+)")]
    private static partial Regex ServerKey();

    [GeneratedRegex(@"identity node: (SHA256:\S+)")]
    private static partial Regex IdentityKey();

    /// <summary>A files server on one home, and an empty second home for the client (two machines' worth of homes).</summary>
    private sealed class FileServer : IAsyncDisposable
    {
        private readonly TempDirectory _dir;
        private readonly InProcess.Running _serve;

        private FileServer(TempDirectory dir, InProcess.Running serve, string address, string key)
        {
            _dir = dir;
            _serve = serve;
            Address = address;
            Key = key;
        }

        public string Address { get; }

        /// <summary>The key fingerprint the server printed.</summary>
        public string Key { get; }

        public string ServerHome => _dir["server"];

        public string ClientHome => _dir["client"];

        public static async Task<FileServer> StartAsync()
        {
            var dir = new TempDirectory();
            var root = Directory.CreateDirectory(dir["root"]).FullName;
            var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
            var serve = InProcess.Start("--home", dir["server"], "files", "serve", "--root", root, "--port", port);
            await serve.WaitForAsync("Press Ctrl+C");
            return new FileServer(dir, serve, "127.0.0.1:" + port, ServerKey().Match(serve.Output).Groups[1].Value);
        }

        /// <summary>The client home's identity key (created now when absent).</summary>
        public async Task<string> ClientKeyAsync()
        {
            var id = await InProcess.RunAsync("--home", ClientHome, "init");
            Assert.True(id.ExitCode == 0, id.Error);
            var shown = await InProcess.RunAsync("--home", ClientHome, "id");
            return IdentityKey().Match(shown.Output).Groups[1].Value;
        }

        /// <summary>Puts the client home's key on the server's allow-list, as its admin would.</summary>
        public async Task AllowClientAsync()
        {
            var key = await ClientKeyAsync();
            var allow = await InProcess.RunAsync("--home", ServerHome, "allow", "add", key, "--name", "client");
            Assert.True(allow.ExitCode == 0, allow.Error);
        }

        /// <summary>The client's known_hosts, or null when there is none.</summary>
        public string? KnownHosts()
        {
            var path = Path.Combine(ClientHome, "known_hosts");
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }

        public async ValueTask DisposeAsync()
        {
            await _serve.InterruptAsync();
            await _serve.DisposeAsync();
            _dir.Dispose();
        }
    }
}
