using SafeWire.Enrollment;
using SafeWire.TestSupport;
using Xunit;

namespace SafeWire.Cli.Tests.TwoMachines;

/// <summary>
/// Voting on two machines: <c>vote serve</c> takes joins on its own port and registers each joined machine as a voter
/// under its invitation's name; the voter casts from its own home with nothing but the code having crossed.
/// </summary>
public sealed partial class TwoMachinesTests
{
    [Fact]
    public async Task VoteServeTakesJoinsAndAJoinedVoterCastsFromItsOwnHomeUntilItsCertificateIsRevoked()
    {
        using var net = NetworkPair.CreateOrSkip();
        using var dir = new TempDirectory();
        var serverHome = dir["server-home"];
        var aliceHome = dir["alice-home"];
        var bobHome = dir["bob-home"];
        var otherHome = dir["other-home"];
        var vote = Server + ":10107";

        // Machine A: an election (no voter registered by hand) served on the link address, and two invitations.
        await OnServer(net, serverHome, "vote", "init", "city", "--candidates", "3", "--max-score", "5", "--names", "Ada,Bo,Cy");
        await using var server = NamespacedSafeWire.Start(net.ServerNamespace, ["--home", serverHome, "vote", "serve", "city", "--bind", Server, "--port", "10107"]);
        await server.WaitForOutputAsync("press Ctrl+C to stop");
        var aliceCode = LastLine((await OnServer(net, serverHome, "invite", "alice", "--server-address", vote)).Output);
        var bobCode = LastLine((await OnServer(net, serverHome, "invite", "bob", "--server-address", vote)).Output);
        Assert.StartsWith(JoinCode.Prefix, aliceCode, StringComparison.Ordinal);

        // Machine B (two homes: two voters): each joins with its code alone and is a voter of the election at once.
        var joined = await OnClient(net, aliceHome, "join", aliceCode);
        Assert.Contains($"joined {vote} as alice (client)", joined.Output, StringComparison.Ordinal);
        await server.WaitForOutputAsync("registered as voter alice in election city");
        var serial = SerialPattern().Match(server.Output).Groups[1].Value;
        Assert.NotEmpty(serial);
        await OnClient(net, bobHome, "join", bobCode);

        // vote cast with no credential file: the home's identity votes; the original design's vote client too.
        var cast = await OnClient(net, aliceHome, "vote", "cast", vote, "--ballot", "5*2");
        Assert.Contains("yes: ballot counted in election city (board entry #1)", cast.Output, StringComparison.Ordinal);
        var receipt = Path.Combine(aliceHome, "receipts", "city.alice.receipt");
        Assert.True(File.Exists(receipt), cast.Output);
        var client = await OnClient(net, bobHome, "vote", "client", "bob", "3", "10107", "--host", Server, "--ballot", "123");
        Assert.Contains("yes: ballot counted in election city (board entry #2)", client.Output, StringComparison.Ordinal);
        await server.WaitForOutputAsync("voter bob: counted");

        // Counted: the receipt checks out against the board read over the link, and the board holds both ballots.
        var verified = await OnClient(net, aliceHome, "vote", "verify-receipt", receipt);
        Assert.Contains("receipt verified: the ballot of voter alice", verified.Output, StringComparison.Ordinal);
        var board = await OnClient(net, aliceHome, "vote", "board", vote);
        Assert.Contains("board of election city: 2 entries", board.Output, StringComparison.Ordinal);
        Assert.Contains("chain intact: 2 entries", board.Output, StringComparison.Ordinal);
        var again = await NamespacedSafeWire.RunAsync(net.ClientNamespace, ["--home", aliceHome, "vote", "cast", vote, "--ballot", "111"]);
        Assert.Equal(3, again.ExitCode);
        Assert.Contains("voter alice has already voted", again.Error, StringComparison.Ordinal);

        // A second voter named alice is refused at the join, and its code stays unused.
        var twinCode = LastLine((await OnServer(net, serverHome, "invite", "alice", "--server-address", vote)).Output);
        var twin = await Fails(net.ClientNamespace, otherHome, "join", twinCode);
        Assert.Contains("already has a voter named alice", twin, StringComparison.Ordinal);

        // Revoked: the administrator revokes alice's certificate; the voting server refuses her at the next connection.
        await OnServer(net, serverHome, "cert", "revoke", serial);
        var revoked = await SafeWireFailsIn(net.ClientNamespace, aliceHome, "vote", "cast", vote, "--ballot", "111");
        Assert.Contains("has been revoked", revoked, StringComparison.Ordinal);

        // The tally: both ballots count (Ada 5+1, Bo 0+2, Cy 2+3).
        await server.DisposeAsync();
        await OnServer(net, serverHome, "vote", "close", "city");
        var results = await OnServer(net, serverHome, "vote", "results", "city", "--csv");
        Assert.Contains("1,Ada,2,6,", results.Output, StringComparison.Ordinal);
        Assert.Contains("2,Bo,1,2,", results.Output, StringComparison.Ordinal);
        Assert.Contains("3,Cy,2,5,", results.Output, StringComparison.Ordinal);

        AssertNoForeignPrivateKeys(serverHome, aliceHome, bobHome, otherHome);
    }

    private static string LastLine(string output) => output.Trim().Split('\n')[^1].Trim();
}
