using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using SafeWire.Identity;
using SafeWire.TestSupport;
using SafeWire.Voting.Verifiable;

namespace SafeWire.Voting.Tests.Verifiable;

/// <summary>Verifiable elections through the real safewire executable: guardians, server, voters, publish, verify.</summary>
public sealed partial class VerifiableCliTests
{
    private const string Election = "town";

    [Fact]
    public async Task Fifty_voters_three_guardians_one_absent_the_record_verifies_and_the_server_holds_nothing_that_decrypts()
    {
        using var temp = new TempDirectory();
        var cli = new Cli(temp);
        await CeremonyAsync(cli, guardians: 3, quorum: 2);
        await cli.OkAsync("admin", "vote", "register", Election, "--count", "50", "--out", temp["creds"]);

        var port = FreePort.Next();
        var typed = new Dictionary<string, string>();
        var random = new Random(16);
        for (var v = 1; v <= 50; v++)
        {
            typed[Str(v)] = string.Concat(Enumerable.Range(0, 2).Select(_ => "012*"[random.Next(4)]));
        }

        var codes = new List<string>();
        await using (var server = cli.Start("admin", "vote", "serve", Election, "--port", Str(port)))
        {
            await server.WaitForOutputAsync("serving verifiable election", TimeSpan.FromSeconds(120));

            // Voter 1 challenges a ballot first (Benaloh), checks it, then casts a fresh one; voters 1-3 type into the executable.
            await cli.OkAsync("v", "vote", "cast", $"127.0.0.1:{port}", "--credential", temp["creds/1.cred"], "--ballot", typed["1"], "--challenge", temp["challenge.json"]);
            var challenge = await cli.OkAsync("v", "vote", "verify-challenge", temp["challenge.json"]);
            Assert.Contains($"decrypts to {typed["1"]}", challenge.Output, StringComparison.Ordinal);
            for (var v = 1; v <= 3; v++)
            {
                var cast = await cli.OkAsync("v", "vote", "cast", $"127.0.0.1:{port}", "--credential", temp[$"creds/{v}.cred"], "--ballot", typed[Str(v)]);
                Assert.Contains("yes: ballot recorded", cast.Output, StringComparison.Ordinal);
            }

            var again = await cli.RunAsync("v", "vote", "cast", $"127.0.0.1:{port}", "--credential", temp["creds/2.cred"], "--ballot", "00");
            Assert.Equal(3, again.ExitCode);
            Assert.Contains("voter 2 already voted", again.Error, StringComparison.Ordinal);

            // Voters 4-50 use the same client library in this process, four at a time, against the real server.
            var context = ElectionSetup.Open(ReadCredential(temp["creds/4.cred"]).Election);
            using var gate = new SemaphoreSlim(4);
            var casts = Enumerable.Range(4, 47).Select(async v =>
            {
                await gate.WaitAsync();
                try
                {
                    var (receipt, reason, _) = await CastInProcessAsync(cli, context, port, temp[$"creds/{v}.cred"], typed[Str(v)], null);
                    Assert.True(receipt is not null, reason);
                    return receipt!.Code;
                }
                finally
                {
                    gate.Release();
                }
            });
            codes.AddRange(await Task.WhenAll(casts));
        }

        await cli.OkAsync("admin", "vote", "close", Election);
        var record = Path.Combine(cli.Home("admin"), "elections", Election, "record");
        Directory.CreateDirectory(temp["partials"]);
        await cli.OkAsync("g1", "vote", "guardian", "decrypt", Election, "--record", record, "--out", temp["partials/guardian-1.json"]);
        await cli.OkAsync("g3", "vote", "guardian", "decrypt", Election, "--record", record, "--out", temp["partials/guardian-3.json"]);
        await cli.OkAsync("admin", "vote", "publish", Election, "--partials", temp["partials"]);

        var verify = await cli.OkAsync("anyone", ["vote", "verify", record, "--receipt", temp["creds/1.receipt"], "--receipt", temp["creds/3.receipt"], .. codes.Take(5).SelectMany(c => new[] { "--code", c })]);
        Assert.Contains("ok: the record verifies (50 ballots, 7 confirmation code(s) present)", verify.Output, StringComparison.Ordinal);
        for (var m = 0; m < 2; m++)
        {
            var sum = typed.Values.Sum(b => b[m] == '*' ? 0 : b[m] - '0');
            var stars = typed.Values.Count(b => b[m] == '*');
            Assert.Contains($"  {m + 1}. {(m == 0 ? "Ada" : "Bo")}: sum {sum}, ", verify.Output, StringComparison.Ordinal);
            Assert.Contains($", no score {stars}", verify.Output.Split('\n').Last(l => l.StartsWith($"  {m + 1}. ", StringComparison.Ordinal)), StringComparison.Ordinal);
        }

        var check = await cli.OkAsync("v", "vote", "check-code", record, temp["creds/2.receipt"]);
        Assert.Contains("is on the record as ballot #", check.Output, StringComparison.Ordinal);
        Assert.Equal(1, (await cli.RunAsync("v", "vote", "check-code", record, new string('A', 64))).ExitCode);

        // Everything the server has: its home (election folder, database with its WAL, certificates). No number in it is a
        // guardian's secret, key share or coefficient, nor a ballot's encryption nonce; the same scan finds guardian 1's share in its home.
        var election = ElectionRecord.ReadElection(Path.Combine(record, ElectionRecord.ElectionFile));
        var guardianKeys = ElectionRecord.Read(Path.Combine(record, ElectionRecord.GuardiansFile), VerifiableJsonTypes.GuardianKeys);
        var ballots = ElectionRecord.ReadBallots(Path.Combine(record, ElectionRecord.BallotsFile));
        var group = ElectionGroup.Standard;
        var commitments = guardianKeys.Select(k => (IReadOnlyList<BigInteger>)[.. k.Commitments.Select(KeyCeremony.ParseElementPublic)]).ToList();
        var secretsPublicHalves = new HashSet<BigInteger> { KeyCeremony.ParseElementPublic(election.JointKey!) };
        foreach (var key in guardianKeys)
        {
            secretsPublicHalves.Add(KeyCeremony.PublicShare(group, commitments, key.Index));
            secretsPublicHalves.UnionWith(key.Commitments.Select(KeyCeremony.ParseElementPublic));
            secretsPublicHalves.Add(KeyCeremony.ParseElementPublic(key.CommunicationKey));
        }

        var nonceHalves = ballots.SelectMany(b => b.Candidates).Select(c => c.Ciphertext.Alpha).Select(KeyCeremony.ParseElementPublic).ToHashSet();
        Assert.DoesNotContain(ScalarsIn(cli.Home("admin")), x => secretsPublicHalves.Contains(group.GPow(x)) || nonceHalves.Contains(group.GPow(x)));
        Assert.Contains(ScalarsIn(cli.Home("g1")), x => group.GPow(x) == KeyCeremony.PublicShare(group, commitments, 1));
    }

    [Fact]
    public async Task Server_killed_during_casting_every_confirmation_code_a_voter_received_is_on_the_record_once()
    {
        using var temp = new TempDirectory();
        var cli = new Cli(temp);
        await CeremonyAsync(cli, guardians: 1, quorum: 1);
        const int voters = 12;
        await cli.OkAsync("admin", "vote", "register", Election, "--count", Str(voters), "--out", temp["creds"]);
        var context = ElectionSetup.Open(ReadCredential(temp["creds/1.cred"]).Election);
        var received = new System.Collections.Concurrent.ConcurrentDictionary<int, string>();
        var sent = new System.Collections.Concurrent.ConcurrentDictionary<int, EncryptedBallotJson>();

        var port = FreePort.Next();
        await using (var server = cli.Start("admin", "vote", "serve", Election, "--port", Str(port)))
        {
            await server.WaitForOutputAsync("serving verifiable election", TimeSpan.FromSeconds(120));
            using var firstFour = new SemaphoreSlim(0);
            var casts = Enumerable.Range(1, voters).Select(async v =>
            {
                try
                {
                    var (receipt, _, _) = await CastInProcessAsync(cli, context, port, temp[$"creds/{v}.cred"], "12", ballot => sent[v] = ballot);
                    if (receipt is not null)
                    {
                        received[v] = receipt.Code;
                        firstFour.Release();
                    }
                }
                catch (Exception e) when (e is IOException or VotingException or OperationCanceledException)
                {
                    // The server died under this voter: no receipt, so nothing was promised.
                }
            }).ToList();
            for (var i = 0; i < 4; i++)
            {
                Assert.True(await firstFour.WaitAsync(TimeSpan.FromMinutes(10), TestContext.Current.CancellationToken), "four voters never got a receipt");
            }

            server.Kill(); // SIGKILL in the middle of the other voters' casts
            await Task.WhenAll(casts);
        }

        // After a restart every voter without a receipt resends the very ballot it sent (or a first one).
        var port2 = FreePort.Next();
        await using (var server = cli.Start("admin", "vote", "serve", Election, "--port", Str(port2)))
        {
            await server.WaitForOutputAsync("serving verifiable election", TimeSpan.FromSeconds(120));
            foreach (var v in Enumerable.Range(1, voters).Where(v => !received.ContainsKey(v)))
            {
                var (receipt, reason, _) = await CastInProcessAsync(cli, context, port2, temp[$"creds/{v}.cred"], "12", null, sent.GetValueOrDefault(v));
                Assert.True(receipt is not null, reason);
                received[v] = receipt!.Code;
            }
        }

        await cli.OkAsync("admin", "vote", "close", Election);
        var recorded = ElectionRecord.ReadBallots(Path.Combine(cli.Home("admin"), "elections", Election, "record", ElectionRecord.BallotsFile));
        Assert.Equal(voters, recorded.Count);
        Assert.Equal(received.Values.Order(StringComparer.Ordinal), recorded.Select(b => b.Code).Order(StringComparer.Ordinal));
        Assert.Equal(Enumerable.Range(1, voters).Select(i => (long?)i), recorded.Select(b => b.Sequence));
    }

    private static async Task CeremonyAsync(Cli cli, int guardians, int quorum)
    {
        await cli.OkAsync("admin", "vote", "init", Election, "--verifiable", "--candidates", "2", "--max-score", "2", "--names", "Ada,Bo", "--guardians", Str(guardians), "--quorum", Str(quorum));
        var keys = cli.Path("keys");
        var shares = cli.Path("shares");
        for (var i = 1; i <= guardians; i++)
        {
            await cli.OkAsync($"g{i}", "vote", "guardian", "create", Election, "--index", Str(i), "--guardians", Str(guardians), "--quorum", Str(quorum), "--out", keys);
        }

        for (var i = 1; i <= guardians; i++)
        {
            await cli.OkAsync($"g{i}", "vote", "guardian", "share", Election, "--keys", keys, "--out", shares);
        }

        var fingerprints = new HashSet<string>();
        for (var i = 1; i <= guardians; i++)
        {
            var accept = await cli.OkAsync($"g{i}", "vote", "guardian", "accept", Election, "--keys", keys, "--shares", shares);
            fingerprints.Add(FingerprintLine().Match(accept.Output).Groups[1].Value);
        }

        var joint = await cli.OkAsync("admin", "vote", "joint-key", Election, "--keys", keys);
        fingerprints.Add(FingerprintLine().Match(joint.Output).Groups[1].Value);
        Assert.Single(fingerprints); // every guardian accepted the key the authority fixed
    }

    private static async Task<(CastReceiptJson? Receipt, string? Reason, bool Final)> CastInProcessAsync(Cli cli, EncryptionContext context, int port, string credentialPath, string typed, Action<EncryptedBallotJson>? onEncrypted, EncryptedBallotJson? resend = null)
    {
        var credential = ReadCredential(credentialPath);
        var ballot = resend;
        if (ballot is null)
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(credential.PrivateKey);
            ballot = BallotEncryption.Encrypt(context, credential.VoterId, typed, key, RandomNumberGenerator.GetBytes(32));
        }

        onEncrypted?.Invoke(ballot);
        var verifier = VoteTransport.ServerVerifier(credential.CaCertificate, new SafeWireHome(cli.Home("v")));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await using var stream = await VoteTransport.ConnectAsync("127.0.0.1", port, verifier, "127.0.0.1", timeout.Token);
        return await VerifiableVoteClient.CastAsync(stream, ballot, timeout.Token);
    }

    private static VerifiableCredentialJson ReadCredential(string path) => ElectionRecord.Read(path, VerifiableJsonTypes.Credential);

    /// <summary>Every 64-hex-digit number in any file under <paramref name="root"/> (JSON, CSV, PEM, SQLite pages and WAL).</summary>
    private static HashSet<BigInteger> ScalarsIn(string root)
    {
        var found = new HashSet<BigInteger>();
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file));
            foreach (Match match in HexRun().Matches(text))
            {
                // Exactly 64 digits: a scalar. Longer runs are group elements (1024 digits), public by nature.
                if (match.Length == 64)
                {
                    found.Add(ElectionGroup.Standard.ModQ(BigInteger.Parse("0" + match.Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
                }
            }
        }

        return found;
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("(?<![0-9A-Fa-f])[0-9A-Fa-f]{64,}(?![0-9A-Fa-f])")]
    private static partial Regex HexRun();

    [GeneratedRegex("fingerprint: ([0-9A-F]{32})")]
    private static partial Regex FingerprintLine();

    private sealed class Cli(TempDirectory temp)
    {
        public string Home(string who) => temp[who];

        public string Path(string relative) => temp[relative];

        public Task<ProcessResult> RunAsync(string who, params string[] args) =>
            SafeWireProcess.RunAsync(["--home", Home(who), .. args], timeout: TimeSpan.FromMinutes(10));

        public async Task<ProcessResult> OkAsync(string who, params string[] args)
        {
            var result = await RunAsync(who, args);
            Assert.True(result.ExitCode == 0, $"safewire {string.Join(' ', args)} exited {result.ExitCode}\n{result.Output}\n{result.Error}");
            return result;
        }

        public SafeWireProcess Start(string who, params string[] args) => SafeWireProcess.Start(["--home", Home(who), .. args]);
    }
}
