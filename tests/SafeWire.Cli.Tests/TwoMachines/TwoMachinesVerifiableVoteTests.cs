using System.Text.RegularExpressions;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.TwoMachines;

/// <summary>
/// A verifiable election on two machines: <c>vote serve</c> takes a join code on its own port and registers the joined
/// home as a voter of the verifiable election; that home casts an encrypted ballot with its own key, no credential file
/// having crossed (with vote cast or the original design's vote client), and the ballot is on the published record, which verifies.
/// </summary>
public sealed partial class TwoMachinesTests
{
    [Fact]
    public async Task VerifiableVoteServeTakesAJoinAndTheJoinedHomeCastsABallotThatIsOnTheVerifiedRecord()
    {
        using var net = NetworkPair.CreateOrSkip();
        using var dir = new TempDirectory();
        var serverHome = dir["server-home"];
        var aliceHome = dir["alice-home"];
        var bobHome = dir["bob-home"];
        var guardianHome = dir["guardian-home"];
        var otherHome = dir["other-home"];
        var keys = dir["keys"];
        var shares = dir["shares"];
        var vote = Server + ":10107";

        // Machine A: a verifiable election with one guardian (in its own home) and no voter registered by hand.
        await OnServer(net, serverHome, "vote", "init", "town", "--verifiable", "--candidates", "2", "--max-score", "2", "--names", "Ada,Bo", "--guardians", "1", "--quorum", "1");
        await OnServer(net, guardianHome, "vote", "guardian", "create", "town", "--index", "1", "--guardians", "1", "--quorum", "1", "--out", keys);
        await OnServer(net, guardianHome, "vote", "guardian", "share", "town", "--keys", keys, "--out", shares);
        var accepted = await OnServer(net, guardianHome, "vote", "guardian", "accept", "town", "--keys", keys, "--shares", shares);
        var jointKey = JointKeyPattern().Match(accepted.Output).Groups[1].Value;
        Assert.NotEmpty(jointKey);
        await OnServer(net, serverHome, "vote", "joint-key", "town", "--keys", keys);
        await using var server = NamespacedSafeWire.Start(net.ServerNamespace, ["--home", serverHome, "vote", "serve", "town", "--bind", Server, "--port", "10107"]);
        await server.WaitForOutputAsync("press Ctrl+C to stop");
        Assert.Contains("serving verifiable election town (2 candidates, scores 0-2, 0 registered voters)", server.Output, StringComparison.Ordinal);
        var aliceCode = LastLine((await OnServer(net, serverHome, "invite", "alice", "--server-address", vote)).Output);

        // Machine B: joins with the code alone and is voter alice of the verifiable election at once.
        var joined = await OnClient(net, aliceHome, "join", aliceCode);
        Assert.Contains($"joined {vote} as alice (client)", joined.Output, StringComparison.Ordinal);
        await server.WaitForOutputAsync("registered as voter alice in election town");
        var serial = SerialPattern().Match(server.Output).Groups[1].Value;
        Assert.NotEmpty(serial);

        // A wrong --joint-key stops the cast before anything is sent; the right one (the guardian's) lets it through.
        var wrongKey = await SafeWireFailsIn(net.ClientNamespace, aliceHome, "vote", "cast", vote, "--ballot", "2*", "--joint-key", new string('0', 32));
        Assert.Contains($"has the joint key {jointKey}, not 00000000000000000000000000000000", wrongKey, StringComparison.Ordinal);
        var cast = await OnClient(net, aliceHome, "vote", "cast", vote, "--ballot", "2*", "--joint-key", jointKey);
        var code = RecordedPattern().Match(cast.Output).Groups[1].Value;
        Assert.True(code.Length == 64, cast.Output);
        var receipt = Path.Combine(aliceHome, "receipts", "town.alice.receipt");
        Assert.True(File.Exists(receipt), cast.Output);
        await server.WaitForOutputAsync("voter alice: recorded (ballot #1)");
        var again = await NamespacedSafeWire.RunAsync(net.ClientNamespace, ["--home", aliceHome, "vote", "cast", vote, "--ballot", "11"]);
        Assert.Equal(3, again.ExitCode);
        Assert.Contains("voter alice already voted (ballot #1)", again.Error, StringComparison.Ordinal);

        // A second joined home votes with the original design's client form.
        await OnClient(net, bobHome, "join", LastLine((await OnServer(net, serverHome, "invite", "bob", "--server-address", vote)).Output));
        var client = await OnClient(net, bobHome, "vote", "client", "bob", "2", "10107", "--host", Server, "--ballot", "12");
        Assert.Contains("yes: ballot recorded in election town as #2", client.Output, StringComparison.Ordinal);

        // A second voter named alice is refused at the join; the revoked alice is refused at her next connection.
        var twinCode = LastLine((await OnServer(net, serverHome, "invite", "alice", "--server-address", vote)).Output);
        var twin = await Fails(net.ClientNamespace, otherHome, "join", twinCode);
        Assert.Contains("election town already has a voter named alice", twin, StringComparison.Ordinal);
        await OnServer(net, serverHome, "cert", "revoke", serial);
        var revoked = await SafeWireFailsIn(net.ClientNamespace, aliceHome, "vote", "cast", vote, "--ballot", "11");
        Assert.Contains("has been revoked", revoked, StringComparison.Ordinal);

        // The record: closed, decrypted by the guardian, published; it verifies with alice's receipt, and her code is on it.
        await server.DisposeAsync();
        await OnServer(net, serverHome, "vote", "close", "town");
        var record = Path.Combine(serverHome, "elections", "town", "record");
        var partials = dir["partials"];
        Directory.CreateDirectory(partials);
        await OnServer(net, guardianHome, "vote", "guardian", "decrypt", "town", "--record", record, "--out", Path.Combine(partials, "guardian-1.json"));
        await OnServer(net, serverHome, "vote", "publish", "town", "--partials", partials);
        var verified = await OnClient(net, aliceHome, "vote", "verify", record, "--receipt", receipt);
        Assert.Contains("ok: the record verifies (2 ballots, 1 confirmation code(s) present)", verified.Output, StringComparison.Ordinal);
        Assert.Contains("  1. Ada: sum 3, mean 1.50, no score 0", verified.Output, StringComparison.Ordinal);
        Assert.Contains("  2. Bo: sum 2, mean 2.00, no score 1", verified.Output, StringComparison.Ordinal);
        var check = await OnClient(net, aliceHome, "vote", "check-code", record, receipt);
        Assert.Contains($"ok: confirmation code {code} is on the record as ballot #1 (voter alice)", check.Output, StringComparison.Ordinal);

        AssertNoForeignPrivateKeys(serverHome, aliceHome, bobHome, otherHome, guardianHome);
    }

    [GeneratedRegex("joint key fingerprint: ([0-9A-F]{32})")]
    private static partial Regex JointKeyPattern();

    [GeneratedRegex("yes: ballot recorded in election town as #1, confirmation code ([0-9A-F]{64})")]
    private static partial Regex RecordedPattern();
}
