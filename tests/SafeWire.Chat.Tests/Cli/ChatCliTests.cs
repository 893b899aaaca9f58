using SafeWire.Identity;
using SafeWire.TestSupport;

namespace SafeWire.Chat.Tests.Cli;

/// <summary>The chat verbs through the real safewire executable: exit codes, what each side prints, piped admin commands.</summary>
public sealed class ChatCliTests
{
    private static readonly TimeSpan s_exit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Demo_OnAFreshMachine_ExitsZero_AndShowsRefusalDirectMessageKickAndStop()
    {
        using var fakeUserHome = new TempDirectory();
        var result = await SafeWireProcess.RunAsync(["demo"], environment: new Dictionary<string, string?>
        {
            ["HOME"] = fakeUserHome.Path,
            ["SAFEWIRE_HOME"] = null,
        }, timeout: s_exit);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("carol  | refused", result.Output, StringComparison.Ordinal);
        Assert.Contains("NotOnAllowList", result.Output, StringComparison.Ordinal);
        Assert.Contains("(direct, end-to-end from alice", result.Output, StringComparison.Ordinal);
        Assert.Contains("plaintext in any frame it decrypted: no", result.Output, StringComparison.Ordinal);
        Assert.Contains("kicked by the server administrator: demo: showing how a kick looks", result.Output, StringComparison.Ordinal);
        Assert.Contains("the server stopped: demo finished", result.Output, StringComparison.Ordinal);
        Assert.Contains("demo complete: every step held", result.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(fakeUserHome.Path)); // nothing left in the user's home
    }

    [Fact]
    public async Task Serve_WithMaxClients2_RefusesTheThirdWithServerFull()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        await using var server = await StartServerAsync(dir["server"], ["--port", $"{port}", "--max-clients", "2"]);
        await using var alice = await StartChatAsync(dir["alice"], port, "alice");
        await using var bob = await StartChatAsync(dir["bob"], port, "bob");

        var third = await Send(dir["carol"], port, "carol", "hello?");

        Assert.Equal(2, third.ExitCode);
        Assert.Contains("server full", third.Error, StringComparison.Ordinal);
        await server.WaitForOutputAsync("refused carol");
    }

    [Fact]
    public async Task Serve_PositionalHostPortMaxClients_LikeTheSeed()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        await using var server = await StartServerAsync(dir["server"], ["127.0.0.1", $"{port}", "1"]);
        await server.WaitForOutputAsync("at most 1 clients");
        await using var alice = await StartChatAsync(dir["alice"], port, "alice");

        var second = await Send(dir["bob"], port, "bob", "hi");

        Assert.Equal(2, second.ExitCode);
        Assert.Contains("server full", second.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KickAndStop_ThroughPipedAdminCommands_ClientsExitWithMessageAndCode()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        await using var server = await StartServerAsync(dir["server"], ["--port", $"{port}"]);
        await using var alice = await StartChatAsync(dir["alice"], port, "alice");
        await server.WaitForOutputAsync("#1 alice joined");

        await alice.WriteLineAsync("hello from alice");
        await server.WaitForOutputAsync("#1 alice: hello from alice");
        await alice.WaitForOutputAsync("(ack #1: relayed to 0)");

        await server.WriteLineAsync("list");
        await server.WaitForOutputAsync("1 connected");
        Assert.Contains("alice", server.Output, StringComparison.Ordinal);
        await server.WriteLineAsync("frobnicate");
        await server.WaitForOutputAsync("unknown command \"frobnicate\"; type help for the list");

        await server.WriteLineAsync("kick 1 too loud");
        Assert.Equal(3, await alice.WaitForExitAsync(s_exit));
        Assert.Contains("kicked by the server administrator: too loud", alice.Error, StringComparison.Ordinal);

        await using var bob = await StartChatAsync(dir["bob"], port, "bob");
        await server.WaitForOutputAsync("bob joined");
        await server.WriteLineAsync("broadcast closing soon");
        await bob.WaitForOutputAsync("* server admin: closing soon");
        await server.WriteLineAsync("stats");
        await server.WaitForOutputAsync("chat messages relayed");
        await server.WriteLineAsync("stop");

        Assert.Equal(4, await bob.WaitForExitAsync(s_exit));
        Assert.Contains("the server stopped", bob.Error, StringComparison.Ordinal);
        Assert.Equal(0, await server.WaitForExitAsync(s_exit));
        Assert.Contains("server stopped", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowList_RefusesAnUnlistedClient_OnBothSides_AndLetsTheListedOneIn()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        string aliceKey;
        using (var alice = new SafeWireHome(dir["alice"]).LoadOrCreateClientCredential("alice"))
        {
            aliceKey = alice.Fingerprint;
        }

        new AllowList([new AllowListEntry(aliceKey, "alice")]).Save(dir["allowed.txt"]);
        await using var server = await StartServerAsync(dir["server"], ["--port", $"{port}", "--allow", dir["allowed.txt"]]);

        var mallory = await Send(dir["mallory"], port, "mallory", "let me in");
        Assert.Equal(2, mallory.ExitCode);
        // One plain line naming mallory's key and what the server's admin would run to let it in.
        string malloryKey;
        using (var key = new SafeWireHome(dir["mallory"]).LoadOrCreateKey(SafeWireHome.NodeKeyName, out _))
        {
            malloryKey = Fingerprint.Of(key.ExportSubjectPublicKeyInfo());
        }

        Assert.Contains($"does not allow your key {malloryKey}; ask its admin to run: safewire allow add {malloryKey} --name mallory", mallory.Error, StringComparison.Ordinal);
        await server.WaitForOutputAsync("NotOnAllowList");

        var ok = await Send(dir["alice"], port, "alice", "it's me");
        Assert.True(ok.ExitCode == 0, ok.Output + ok.Error);
        await server.WaitForOutputAsync("alice: it's me");

        // The server's registry remembers the client by key (S0.3).
        var seen = new ClientRegistry(Path.Combine(dir["server"], "clients.jsonl")).Find(aliceKey);
        Assert.Equal("alice", seen?.Name);
        Assert.StartsWith("127.0.0.1:", seen?.LastAddress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KnownHosts_AChangedServerKey_IsRefused()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        await using (var first = await StartServerAsync(dir["server1"], ["--port", $"{port}"]))
        {
            var ok = await Send(dir["alice"], port, "alice", "first contact");
            Assert.True(ok.ExitCode == 0, ok.Output + ok.Error);
            await first.WriteLineAsync("stop");
            Assert.Equal(0, await first.WaitForExitAsync(s_exit));
        }

        // Same host and port, different server identity (another home): a possible man in the middle.
        await using var second = await StartServerAsync(dir["server2"], ["--port", $"{port}"]);
        var changed = await Send(dir["alice"], port, "alice", "second contact");

        Assert.Equal(2, changed.ExitCode);
        Assert.Contains("HostKeyChanged", changed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("second contact", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortHopping_BothSidesPrintTheirPorts_AndChatContinuesOnTheHopPort()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        await using var server = await StartServerAsync(dir["server"], ["--port", $"{port}", "--hop-ports", "30000-39999"]);
        await using var alice = await StartChatAsync(dir["alice"], port, "alice");

        await alice.WaitForOutputAsync($"port: handshake on {port}, conversation moved to port ");
        var hopPort = int.Parse(alice.Output.Split($"conversation moved to port ")[1].Split('\n')[0].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(hopPort, 30000, 39999);
        await server.WaitForOutputAsync($"alice: handshake done on port {port}; conversation moves to port {hopPort}");
        await server.WaitForOutputAsync($"on port {hopPort} (");

        await alice.WriteLineAsync("over the hop port");
        await server.WaitForOutputAsync("alice: over the hop port");
    }

    [Fact]
    public async Task Send_PrintsTheServersReply()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        await using var server = await StartServerAsync(dir["server"], ["--port", $"{port}"]);
        await using var bob = await StartChatAsync(dir["bob"], port, "bob");

        var result = await Send(dir["alice"], port, "alice", "build", "finished");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("acknowledged message 1 from alice: relayed to 1 other client(s)", result.Output, StringComparison.Ordinal);
        await bob.WaitForOutputAsync("alice: build finished");
    }

    [Fact]
    public async Task Chat_NoServer_IsOneLineAndExitCode1()
    {
        using var dir = new TempDirectory();
        var result = await Send(dir["alice"], FreePort.Next(), "alice", "anyone?");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("safewire: cannot reach 127.0.0.1:", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    private static async Task<SafeWireProcess> StartServerAsync(string home, string[] args)
    {
        var server = SafeWireProcess.Start(["--home", home, "serve", .. args]);
        await server.WaitForOutputAsync("admin console: type help");
        return server;
    }

    private static async Task<SafeWireProcess> StartChatAsync(string home, int port, string name)
    {
        // One home per client and per server, on one machine: each client meets the server for the first time.
        var client = SafeWireProcess.Start(["--home", home, "chat", $"127.0.0.1:{port}", "--name", name, "--trust-on-first-use"]);
        await client.WaitForOutputAsync("here: ");
        return client;
    }

    private static Task<ProcessResult> Send(string home, int port, string name, params string[] words) =>
        SafeWireProcess.RunAsync(["--home", home, "send", $"127.0.0.1:{port}", "--name", name, "--trust-on-first-use", .. words], timeout: s_exit);
}
