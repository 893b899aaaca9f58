using System.Security.Cryptography;
using SafeWire.KeyDistribution.Peer;
using SafeWire.KeyDistribution.Tests.Support;
using SafeWire.TestSupport;

namespace SafeWire.KeyDistribution.Tests;

/// <summary>
/// End to end through the real <c>safewire</c> executable: <c>km serve</c>, <c>peer wait</c>, <c>peer send</c>
/// and the interactive <c>peer</c>, all on one home (one CA) over SafeWire channels on loopback.
/// </summary>
public sealed class CliFlowTests : IAsyncLifetime
{
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _home = new();
    private readonly TempDirectory _files = new();
    private readonly TempDirectory _out = new();
    private readonly int _port = FreePort.Next();
    private SafeWireProcess? _km;

    private string Journal => _files["km-journal.txt"];

    private string KeyManager => $"127.0.0.1:{_port}";

    public async ValueTask InitializeAsync()
    {
        _km = SafeWireProcess.Start(["km", "serve", "--home", _home.Path, "--port", $"{_port}", "--journal", Journal]);
        await _km.WaitForOutputAsync("Key manager listening", s_step);
    }

    public async ValueTask DisposeAsync()
    {
        if (_km is not null)
        {
            await _km.DisposeAsync();
        }

        _home.Dispose();
        _files.Dispose();
        _out.Dispose();
    }

    private string RandomFile(string name, int length)
    {
        var path = _files[name];
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(length));
        return path;
    }

    private SafeWireProcess StartWaiter(params string[] extra) =>
        SafeWireProcess.Start(["peer", "wait", KeyManager, "--home", _home.Path, "--name", "bob", "--out", _out.Path, .. extra]);

    private Task<ProcessResult> Send(string mode, params string[] files) =>
        SafeWireProcess.RunAsync(["peer", "send", KeyManager, "--home", _home.Path, "--name", "alice", "--to", "bob", "--mode", mode, .. files], timeout: TimeSpan.FromSeconds(90));

    [Theory]
    [InlineData("cbc")]
    [InlineData("cfb")]
    [InlineData("e2e")]
    public async Task SeedFlow_EachMode_FilesByteIdentical_BlockCountsMatch(string mode)
    {
        var big = RandomFile("big.bin", (5 * ChunkCipher.ChunkSize) + 333);
        var small = RandomFile("notes.txt", 100);
        await using var bob = StartWaiter("--accept-all");
        await bob.WaitForOutputAsync("Waiting as peer", s_step);

        var alice = await Send(mode, big, small);

        Assert.True(alice.ExitCode == 0, alice.Output + alice.Error);
        Assert.Equal(0, await bob.WaitForExitAsync(s_step));
        Assert.Equal(File.ReadAllBytes(big), File.ReadAllBytes(Path.Combine(_out.Path, "big.bin")));
        Assert.Equal(File.ReadAllBytes(small), File.ReadAllBytes(Path.Combine(_out.Path, "notes.txt")));
        Assert.Equal(2, Directory.GetFiles(_out.Path).Length);
        Assert.Contains("Block counts match", alice.Output, StringComparison.Ordinal);
        Assert.Contains("Block counts match", bob.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Pick one with", alice.Output, StringComparison.Ordinal); // the interactive hint does not apply here
        await _km!.WaitForOutputAsync("MATCH", s_step);
        Assert.Contains($"-> bob (", _km.Output, StringComparison.Ordinal);

        // What the key manager handled: key material only for cbc/cfb, never for e2e.
        var grants = File.ReadAllLines(Journal).Count(l => l.Contains(" KeyGrant ", StringComparison.Ordinal));
        Assert.Equal(mode == "e2e" ? 0 : 2, grants);
        if (mode == "e2e")
        {
            Assert.Contains("no keys issued", _km.Output, StringComparison.Ordinal);
            var check = alice.Output.Split('\n').Single(l => l.Contains("session check", StringComparison.Ordinal)).Trim()[^12..];
            Assert.Contains(check, bob.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(check, _km.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Interactive_SeedFlow_SendWaitConnEnd()
    {
        var file = RandomFile("seed.pdf", 200_000);
        var target = Path.Combine(_out.Path, "saved-seed.pdf");
        var bobPort = FreePort.Next();
        await using var bob = SafeWireProcess.Start(["peer", KeyManager, "--home", _home.Path, "--name", "bob", "--listen-port", bobPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], workingDirectory: _out.Path);
        await bob.WaitForOutputAsync("Welcome to the SafeWire key manager", s_step);
        await bob.WriteLineAsync("wait");
        await bob.WaitForOutputAsync("Waiting for a sender", s_step);

        await using var alice = SafeWireProcess.Start(["peer", KeyManager, "--home", _home.Path, "--name", "alice"]);
        await alice.WaitForOutputAsync("Welcome", s_step);
        await alice.WriteLineAsync("send");
        await alice.WaitForOutputAsync("Pick one with: conn", s_step);
        Assert.Contains("bob", alice.Output, StringComparison.Ordinal);
        await alice.WriteLineAsync("conn bob cbc");
        await alice.WaitForOutputAsync("File to send", s_step);
        await alice.WriteLineAsync(file);
        await alice.WriteLineAsync("");

        await bob.WaitForOutputAsync("Accept? [y/n]", s_step);
        Assert.Contains("alice", bob.Output, StringComparison.Ordinal);
        Assert.Contains($":{bobPort} for alice", bob.Output, StringComparison.Ordinal); // the interactive waiter's --listen-port
        Assert.Contains($"seed.pdf: {ChunkCipher.EncryptedFileLength(200_000).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes encrypted (200,000 bytes)", bob.Output, StringComparison.Ordinal);
        await bob.WriteLineAsync("y");
        await bob.WaitForOutputAsync("Save as [seed.pdf]", s_step);
        await bob.WriteLineAsync("saved-seed.pdf");

        await alice.WaitForOutputAsync("Block counts match", s_step);
        await bob.WaitForOutputAsync("Block counts match", s_step);
        Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(target));

        // Back to the menu: send again shows nobody waiting, then end.
        await alice.WriteLineAsync("send");
        await alice.WaitForOutputAsync("No peer is waiting", s_step);
        await alice.WriteLineAsync("end");
        await bob.WriteLineAsync("end");
        Assert.Equal(0, await alice.WaitForExitAsync(s_step));
        Assert.Equal(0, await bob.WaitForExitAsync(s_step));
    }

    [Fact]
    public async Task WaiterDeclines_SenderTold_NothingWritten()
    {
        var file = RandomFile("unwanted.bin", 1000);
        await using var bob = StartWaiter();
        await bob.WaitForOutputAsync("Waiting as peer", s_step);
        var sending = Send("cfb", file);
        await bob.WaitForOutputAsync("Accept? [y/n]", s_step);
        await bob.WriteLineAsync("n");

        var alice = await sending;
        Assert.Equal(1, alice.ExitCode);
        Assert.Contains("bob declined unwanted.bin", alice.Error, StringComparison.Ordinal);
        Assert.Equal(0, await bob.WaitForExitAsync(s_step));
        Assert.Empty(Directory.GetFileSystemEntries(_out.Path));
    }

    [Fact]
    public async Task Send_WithNoWaitingPeer_ClearMessage()
    {
        var alice = await Send("e2e", RandomFile("a.txt", 10));
        Assert.Equal(1, alice.ExitCode);
        Assert.Contains("no peer is waiting", alice.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", alice.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cbc")]
    [InlineData("e2e")]
    public async Task RelayFlipsAByte_ReceiverRefuses_NoFileLeft_AllReportIt(string mode)
    {
        var file = RandomFile("data.bin", 6 * ChunkCipher.ChunkSize);
        var waiterPort = FreePort.Next();
        await using var relay = new TamperingRelay(waiterPort, flipAt: (2 * ChunkCipher.ChunkSize) + 5000);
        await using var bob = StartWaiter("--accept-all", "--listen-port", $"{waiterPort}", "--advertise", $"127.0.0.1:{relay.Port}");
        await bob.WaitForOutputAsync("Waiting as peer", s_step);

        var alice = await Send(mode, file);

        Assert.True(relay.Flipped);
        Assert.Equal(1, alice.ExitCode);
        Assert.Contains("Transfer failed", alice.Error, StringComparison.Ordinal);
        Assert.Equal(1, await bob.WaitForExitAsync(s_step));
        Assert.Contains(mode == "e2e" ? "The SafeWire channel failed" : "failed its MAC", bob.Output + bob.Error, StringComparison.Ordinal);
        await _km!.WaitForOutputAsync("FAILED", s_step);
        Assert.Empty(Directory.GetFileSystemEntries(_out.Path));
    }

    [Fact]
    public async Task SenderKilledMidFile_NoPartialFile_KeyManagerMarksTransferFailed()
    {
        var file = RandomFile("large.bin", 40 * ChunkCipher.ChunkSize);
        var waiterPort = FreePort.Next();
        await using var relay = new TamperingRelay(waiterPort, pauseAfter: 10 * ChunkCipher.ChunkSize);
        await using var bob = StartWaiter("--accept-all", "--listen-port", $"{waiterPort}", "--advertise", $"127.0.0.1:{relay.Port}");
        await bob.WaitForOutputAsync("Waiting as peer", s_step);
        await using var alice = SafeWireProcess.Start(["peer", "send", KeyManager, "--home", _home.Path, "--name", "alice", "--to", "bob", "--mode", "cbc", file]);

        await relay.Paused.WaitAsync(s_step, TestContext.Current.CancellationToken);
        // The relay has forwarded the first chunks; the receiver creates its hidden .part file as it takes them in.
        var deadline = DateTime.UtcNow + s_step;
        while (OutputEntries().Length == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.NotEmpty(OutputEntries());
        alice.Kill();
        await _km!.WaitForOutputAsync("FAILED", s_step);
        Assert.Contains("alice left", _km.Output, StringComparison.Ordinal);
        await relay.DisposeAsync();

        Assert.Equal(1, await bob.WaitForExitAsync(s_step));
        Assert.Empty(OutputEntries());

        string[] OutputEntries() => Directory.GetFileSystemEntries(_out.Path, "*", new EnumerationOptions { AttributesToSkip = 0 });
    }
}
