using SafeWire.TestSupport;

namespace SafeWire.KeyDistribution.Tests;

/// <summary>
/// <c>--suite</c> on <c>km serve</c> and the peer verbs, through the real <c>safewire</c> executable: a key manager that
/// accepts only AES-256-CBC + HMAC-SHA256 refuses a peer offering only ChaCha20-Poly1305 with one clear line, and
/// serves peers offering CBC + HMAC (their own e2e session included).
/// </summary>
public sealed class CliSuiteTests : IAsyncLifetime
{
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _home = new();
    private readonly TempDirectory _files = new();
    private readonly TempDirectory _out = new();
    private readonly int _port = FreePort.Next();
    private SafeWireProcess? _km;

    private string KeyManager => $"127.0.0.1:{_port}";

    public async ValueTask InitializeAsync()
    {
        _km = SafeWireProcess.Start(["km", "serve", "--home", _home.Path, "--port", $"{_port}", "--suite", "cbc-hmac"]);
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

    [Fact]
    public async Task ServerCbcHmac_ClientChaCha_RefusedWithOneLine_ClientCbcHmac_Transfers()
    {
        var file = _files["report.txt"];
        File.WriteAllText(file, "sent over AES-256-CBC + HMAC-SHA256");

        var refused = await SafeWireProcess.RunAsync(
            ["peer", "send", KeyManager, "--home", _home.Path, "--name", "alice", "--to", "bob", "--suite", "chacha20", file], timeout: TimeSpan.FromSeconds(90));
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("safewire: the server accepts none of the cipher suites offered; try another --suite, or leave it out to offer all three", refused.Error.Trim());
        await _km!.WaitForOutputAsync("No common cipher suite", s_step);

        await using var bob = SafeWireProcess.Start(["peer", "wait", KeyManager, "--home", _home.Path, "--name", "bob", "--out", _out.Path, "--accept-all", "--suite", "cbc-hmac"]);
        await bob.WaitForOutputAsync("Waiting as peer", s_step);
        var alice = await SafeWireProcess.RunAsync(
            ["peer", "send", KeyManager, "--home", _home.Path, "--name", "alice", "--to", "bob", "--mode", "e2e", "--suite", "cbc-hmac", file], timeout: TimeSpan.FromSeconds(90));

        Assert.True(alice.ExitCode == 0, alice.Output + alice.Error);
        Assert.Equal(0, await bob.WaitForExitAsync(s_step));
        Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(_out.Path, "report.txt")));
    }
}
