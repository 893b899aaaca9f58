using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using SafeWire.TestSupport;
using SafeWire.Voting.Storage;

namespace SafeWire.Voting.Tests;

/// <summary>The seed's flow and the failure cases through the real safewire executable, over SecureStream.</summary>
public class CliEndToEndTests
{
    [Fact]
    public async Task Seed_flow_yes_no_and_a_corrected_ballot_on_the_same_connection_then_close_and_results()
    {
        using var election = await CliElection.CreateAsync(candidates: 7, maxScore: 5, voters: 2);
        var port = FreePort.Next();
        await using var server = await election.StartServerAsync("7", port.ToString(CultureInfo.InvariantCulture)); // seed form: ELECTION N PORT
        var endpoint = $"127.0.0.1:{port}";

        // A registered voter: yes + receipt.
        var yes = await election.RunAsync("vote", "cast", endpoint, "--credential", election.Credential("1"), "--ballot", "45432*3");
        Assert.True(yes.ExitCode == 0, yes.Output + yes.Error);
        Assert.Contains("yes: ballot counted", yes.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.ChangeExtension(election.Credential("1"), ".receipt")));

        // An unregistered voter: no, and the exchange ends.
        var unregistered = await election.RunAsync("vote", "cast", endpoint, "--credential", election.Credential("2"), "--id", "99", "--ballot", "45432*3");
        Assert.Equal(3, unregistered.ExitCode);
        Assert.Contains("no: voter 99 is not on the voter list", unregistered.Error, StringComparison.Ordinal);

        // Wrong length, bad character, score above max: no with the reason each time, then a corrected ballot, one connection.
        await using (var cast = election.StartCli("vote", "cast", endpoint, "--credential", election.Credential("2"), "--ballot", "4543"))
        {
            await cast.WaitForOutputAsync("no: wrong length: 4 characters for 7 candidates");
            await cast.WriteLineAsync("45x32*3");
            await cast.WaitForOutputAsync("no: bad character 'x' for candidate 3");
            await cast.WriteLineAsync("45439*3");
            await cast.WaitForOutputAsync("no: score 9 for candidate 5 is above the maximum score 5");
            await cast.WriteLineAsync("0*0*0*0");
            Assert.Equal(0, await cast.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("yes: ballot counted", cast.Output, StringComparison.Ordinal);
        }

        await server.WaitForOutputAsync("voter 2: counted");
        Assert.Single(server.Output.Split('\n'), line => line.Contains("voter 2:", StringComparison.Ordinal)); // one connection for voter 2

        var verified = await election.RunOkAsync("vote", "verify-receipt", Path.ChangeExtension(election.Credential("1"), ".receipt"));
        Assert.Contains("receipt verified", verified.Output, StringComparison.Ordinal);
        var board = await election.RunOkAsync("vote", "board", endpoint, "--credential", election.Credential("1"));
        Assert.Contains("chain intact: 2 entries", board.Output, StringComparison.Ordinal);

        var early = await election.RunAsync("vote", "results", election.Name);
        Assert.Equal(1, early.ExitCode);
        Assert.Contains("still open", early.Error, StringComparison.Ordinal);

        await election.RunOkAsync("vote", "close", election.Name);
        var json = await election.RunOkAsync("vote", "results", election.Name, "--json");
        using var results = JsonDocument.Parse(json.Output);
        Assert.Equal(2, results.RootElement.GetProperty("ballots").GetInt32());
        var candidates = results.RootElement.GetProperty("candidates");
        Assert.Equal(2, candidates[0].GetProperty("scores").GetInt32());
        Assert.Equal(4, candidates[0].GetProperty("sum").GetInt32());
        Assert.Equal(1, candidates[1].GetProperty("scores").GetInt32());
        Assert.Equal(1, candidates[1].GetProperty("noScore").GetInt32());
        Assert.Equal(2.0, candidates[0].GetProperty("mean").GetDouble());

        var csv = await election.RunOkAsync("vote", "results", election.Name, "--csv");
        Assert.StartsWith("candidate,name,scores,sum,mean,no_score\n1,Candidate 1,2,4,2,0\n", csv.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        var chart = await election.RunOkAsync("vote", "results", election.Name);
        Assert.Contains("Mean score", chart.Output, StringComparison.Ordinal);

        // Closed: a late voter is refused.
        var late = await election.RunAsync("vote", "cast", endpoint, "--credential", election.Credential("1"), "--ballot", "1111111");
        Assert.Equal(3, late.ExitCode);
        Assert.Contains("closed", late.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_killed_under_load_loses_no_yes_and_counts_nothing_that_could_not_get_one()
    {
        const int Voters = 40;
        using var election = await CliElection.CreateAsync(candidates: 3, maxScore: 9, voters: Voters);
        string BallotOf(int voter) => (voter % 10).ToString(CultureInfo.InvariantCulture) + (voter * 7 % 10).ToString(CultureInfo.InvariantCulture) + "*";

        var port = FreePort.Next();
        var gotYes = new ConcurrentDictionary<int, Receipt>();
        var attempted = new ConcurrentDictionary<int, bool>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using (var server = await election.StartServerAsync("--port", port.ToString(CultureInfo.InvariantCulture)))
        {
            var queue = new ConcurrentQueue<int>(Enumerable.Range(1, Voters));
            var killed = 0;
            var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                while (queue.TryDequeue(out var voter))
                {
                    attempted[voter] = true;
                    try
                    {
                        var result = await election.CastAsync(port, voter.ToString(CultureInfo.InvariantCulture), BallotOf(voter), deadline.Token);
                        if (result.Receipt is { } receipt)
                        {
                            gotYes[voter] = receipt;
                        }
                    }
                    catch (Exception e) when (e is IOException or VotingException or System.Net.Sockets.SocketException)
                    {
                        // The server died mid-exchange: this voter got no answer.
                    }

                    if (gotYes.Count >= 10 && Interlocked.Exchange(ref killed, 1) == 0)
                    {
                        server.Kill(); // SIGKILL: no shutdown, no flush
                    }
                }
            }, deadline.Token)).ToArray();
            await Task.WhenAll(workers);
        }

        Assert.InRange(gotYes.Count, 10, Voters - 1);
        await using (var store = election.OpenStore())
        {
            var counted = await store.ReadCountedBallotsAsync(election.Name, deadline.Token);
            foreach (var (voter, _) in gotYes)
            {
                Assert.Equal(BallotOf(voter), counted[voter.ToString(CultureInfo.InvariantCulture)]); // every yes is counted
            }

            foreach (var (voterId, ballot) in counted)
            {
                var voter = int.Parse(voterId, CultureInfo.InvariantCulture);
                Assert.True(attempted.ContainsKey(voter), $"voter {voter} is counted but never sent a ballot");
                Assert.Equal(BallotOf(voter), ballot);
            }
        }

        // Restart; everyone who got no answer tries again: each ends with one yes and one counted ballot.
        var port2 = FreePort.Next();
        await using (var server = await election.StartServerAsync("--port", port2.ToString(CultureInfo.InvariantCulture)))
        {
            foreach (var voter in Enumerable.Range(1, Voters).Where(v => !gotYes.ContainsKey(v)))
            {
                var result = await election.CastAsync(port2, voter.ToString(CultureInfo.InvariantCulture), BallotOf(voter), deadline.Token);
                Assert.True(result.Accepted, $"voter {voter}: {result.Reason}");
                gotYes[voter] = result.Receipt!;
            }

            // A voter who already had a yes sends the same ballot again: the same receipt.
            var again = await election.CastAsync(port2, "1", BallotOf(1), deadline.Token);
            Assert.Equal(gotYes[1].Sequence, again.Receipt!.Sequence);
        }

        await using (var store = election.OpenStore())
        {
            var counted = await store.ReadCountedBallotsAsync(election.Name, deadline.Token);
            Assert.Equal(Voters, counted.Count);
            var board = await store.ReadBoardAsync(election.Name, 0, 1000, deadline.Token);
            Assert.Equal(Voters, board.Count);
            using var receiptKey = ElectionFiles.Open(election.Home, election.Name).LoadReceiptPublicKey();
            Assert.Empty(BoardAudit.VerifyChain(election.Name, board, receiptKey));
            Assert.All(gotYes.Values, r => Assert.Equal(ReceiptStatus.Counted, BoardAudit.CheckReceipt(r, board, receiptKey).Status));
        }
    }

    [Fact]
    public async Task Two_servers_on_one_postgres_database_never_count_a_voter_twice()
    {
        var database = TestPostgres.Require();
        const int Voters = 15;
        using var election = await CliElection.CreateAsync(candidates: 3, maxScore: 9, voters: Voters, database: database);
        var ports = new[] { FreePort.Next(), FreePort.Next() };
        await using var first = await election.StartServerAsync("--port", ports[0].ToString(CultureInfo.InvariantCulture));
        await using var second = await election.StartServerAsync("--port", ports[1].ToString(CultureInfo.InvariantCulture));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        // Every voter sends a different ballot to each server at the same time.
        var results = await Task.WhenAll(Enumerable.Range(1, Voters).SelectMany(voter => ports.Select((port, i) => Task.Run(async () =>
            (Voter: voter.ToString(CultureInfo.InvariantCulture), Ballot: $"{i}{i}{i}",
             Result: await election.CastAsync(port, voter.ToString(CultureInfo.InvariantCulture), $"{i}{i}{i}", deadline.Token)), deadline.Token))));

        await using var store = election.OpenStore();
        var counted = await store.ReadCountedBallotsAsync(election.Name, deadline.Token);
        Assert.Equal(Voters, counted.Count);
        foreach (var group in results.GroupBy(r => r.Voter))
        {
            var accepted = Assert.Single(group, r => r.Result.Accepted);
            Assert.Equal(VoteRefusal.AlreadyVoted, Assert.Single(group, r => !r.Result.Accepted).Result.Refusal);
            Assert.Equal(accepted.Ballot, counted[group.Key]);
        }

        var board = await store.ReadBoardAsync(election.Name, 0, 1000, deadline.Token);
        using var receiptKey = ElectionFiles.Open(election.Home, election.Name).LoadReceiptPublicKey();
        Assert.Equal(Voters, board.Count);
        Assert.Empty(BoardAudit.VerifyChain(election.Name, board, receiptKey));
    }

    [Fact]
    public async Task Admin_verbs_register_from_a_file_and_fail_with_one_clear_line()
    {
        using var election = await CliElection.CreateAsync(candidates: 2, maxScore: 3, voters: 1);
        var list = Path.Combine(election.Credentials, "..", "voters.txt");
        await File.WriteAllTextAsync(list, "# the class of 2026\nalice\nbob\n", TestContext.Current.CancellationToken);
        var registered = await election.RunOkAsync("vote", "register", election.Name, "--voters", list, "--out", election.Credentials);
        Assert.Contains("registered 2 voters", registered.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(election.Credential("alice")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(election.Credential("alice")));
        }

        var again = await election.RunAsync("vote", "register", election.Name, "--voters", list, "--out", election.Credentials + "2");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"safewire vote register: Voter \"alice\" is already registered in election \"{election.Name}\".", again.Error.Trim());

        var duplicate = await election.RunAsync("vote", "init", election.Name, "--candidates", "3");
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Single(duplicate.Error.Trim().Split('\n'));
        Assert.Contains("already exists", duplicate.Error, StringComparison.Ordinal);

        var badScore = await election.RunAsync("vote", "init", "other", "--candidates", "3", "--max-score", "12");
        Assert.Equal(1, badScore.ExitCode);
        Assert.Contains("--max-score must be between 1 and 9", badScore.Error, StringComparison.Ordinal);

        var missing = await election.RunAsync("vote", "results", "nosuch");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No election \"nosuch\"", missing.Error, StringComparison.Ordinal);

        var wrongN = await election.RunAsync("vote", "serve", election.Name, "5", "1");
        Assert.Equal(1, wrongN.ExitCode);
        Assert.Contains("has 2 candidates, not 5", wrongN.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", wrongN.Error + duplicate.Error + missing.Error, StringComparison.Ordinal);
    }
}
