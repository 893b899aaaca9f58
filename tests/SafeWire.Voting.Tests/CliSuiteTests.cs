using System.Globalization;
using SafeWire.TestSupport;

namespace SafeWire.Voting.Tests;

/// <summary>
/// <c>--suite</c> on the vote verbs, through the real <c>safewire</c> executable: a server that accepts only
/// AES-256-CBC + HMAC-SHA256 refuses voters and board readers offering only ChaCha20-Poly1305 with one clear line
/// (no ballot sent), and serves the same clients offering CBC + HMAC.
/// </summary>
public sealed class CliSuiteTests
{
    private const string NoCommonSuite = "the server accepts none of the cipher suites offered; try another --suite, or leave it out to offer all three";

    [Fact]
    public async Task Server_cbc_hmac_refuses_chacha20_clients_with_one_line_and_serves_cbc_hmac_clients()
    {
        using var election = await CliElection.CreateAsync(candidates: 3, maxScore: 5, voters: 2);
        var port = FreePort.Next();
        await using var server = await election.StartServerAsync("--port", port.ToString(CultureInfo.InvariantCulture), "--suite", "cbc-hmac");
        var endpoint = $"127.0.0.1:{port}";

        var refused = await election.RunAsync("vote", "cast", endpoint, "--credential", election.Credential("1"), "--ballot", "123", "--suite", "chacha20");
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal($"safewire vote cast: {NoCommonSuite}", refused.Error.Trim());
        Assert.False(File.Exists(Path.ChangeExtension(election.Credential("1"), ".receipt")));

        var aliasRefused = await election.RunAsync("vote", "client", "2", "3", port.ToString(CultureInfo.InvariantCulture), "--credential", election.Credential("2"), "--ballot", "321", "--suite", "chacha20");
        Assert.Equal(1, aliasRefused.ExitCode);
        Assert.Equal($"safewire vote client: {NoCommonSuite}", aliasRefused.Error.Trim());

        var boardRefused = await election.RunAsync("vote", "board", endpoint, "--credential", election.Credential("1"), "--suite", "chacha20");
        Assert.Equal(1, boardRefused.ExitCode);
        Assert.Equal($"safewire vote board: {NoCommonSuite}", boardRefused.Error.Trim());

        var yes = await election.RunOkAsync("vote", "cast", endpoint, "--credential", election.Credential("1"), "--ballot", "123", "--suite", "cbc-hmac");
        Assert.Contains("Aes256CbcHmacSha256", yes.Output, StringComparison.Ordinal);
        Assert.Contains("yes: ballot counted", yes.Output, StringComparison.Ordinal);

        var alias = await election.RunOkAsync("vote", "client", "2", "3", port.ToString(CultureInfo.InvariantCulture), "--credential", election.Credential("2"), "--ballot", "321", "--suite", "cbc-hmac");
        Assert.Contains("yes: ballot counted", alias.Output, StringComparison.Ordinal);

        var board = await election.RunOkAsync("vote", "board", endpoint, "--credential", election.Credential("1"), "--suite", "cbc-hmac");
        Assert.Contains("chain intact: 2 entries", board.Output, StringComparison.Ordinal);
    }
}
