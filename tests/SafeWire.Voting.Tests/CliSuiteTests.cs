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

    [Fact]
    public async Task Verifiable_server_cbc_hmac_refuses_a_chacha20_voter_with_one_line_and_records_a_cbc_hmac_voter()
    {
        using var temp = new TempDirectory();
        const string Election = "suites";
        async Task<ProcessResult> Ok(string who, params string[] args)
        {
            var result = await SafeWireProcess.RunAsync(["--home", temp[who], .. args], timeout: TimeSpan.FromMinutes(10));
            Assert.True(result.ExitCode == 0, $"safewire {string.Join(' ', args)} exited {result.ExitCode}\n{result.Output}\n{result.Error}");
            return result;
        }

        // One guardian, quorum one: the smallest key ceremony.
        await Ok("admin", "vote", "init", Election, "--verifiable", "--candidates", "2", "--max-score", "2", "--guardians", "1", "--quorum", "1");
        await Ok("g1", "vote", "guardian", "create", Election, "--index", "1", "--guardians", "1", "--quorum", "1", "--out", temp["keys"]);
        await Ok("g1", "vote", "guardian", "share", Election, "--keys", temp["keys"], "--out", temp["shares"]);
        await Ok("g1", "vote", "guardian", "accept", Election, "--keys", temp["keys"], "--shares", temp["shares"]);
        await Ok("admin", "vote", "joint-key", Election, "--keys", temp["keys"]);
        await Ok("admin", "vote", "register", Election, "--count", "1", "--out", temp["creds"]);

        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        await using var server = SafeWireProcess.Start(["--home", temp["admin"], "vote", "serve", Election, "--port", port, "--suite", "cbc-hmac"]);
        await server.WaitForOutputAsync("serving verifiable election", TimeSpan.FromSeconds(120));

        var refused = await SafeWireProcess.RunAsync(["--home", temp["v"], "vote", "cast", $"127.0.0.1:{port}", "--credential", temp["creds/1.cred"], "--ballot", "12", "--suite", "chacha20"], timeout: TimeSpan.FromMinutes(10));
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal($"safewire vote cast: {NoCommonSuite}", refused.Error.Trim());

        var cast = await Ok("v", "vote", "cast", $"127.0.0.1:{port}", "--credential", temp["creds/1.cred"], "--ballot", "12", "--suite", "cbc-hmac");
        Assert.Contains("yes: ballot recorded", cast.Output, StringComparison.Ordinal);
    }
}
