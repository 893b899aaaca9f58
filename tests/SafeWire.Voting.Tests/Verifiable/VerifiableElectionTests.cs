using System.Text.Json.Nodes;
using SafeWire.Voting.Verifiable;

namespace SafeWire.Voting.Tests.Verifiable;

/// <summary>The crypto core end to end in process, and the verifier's answer to each kind of tampering.</summary>
public sealed class VerifiableElectionTests : IClassFixture<InProcessElection>
{
    private readonly InProcessElection _election;

    public VerifiableElectionTests(InProcessElection election)
    {
        _election = election;
    }

    [Fact]
    public void The_published_record_verifies_and_its_counts_are_the_typed_ballots()
    {
        var verification = ElectionRecord.Verify(_election.RecordPath, [.. _election.Ballots.Select(b => b.Code)]);

        Assert.True(verification.Ok, verification.Failure);
        Assert.Equal(4, verification.Ballots);
        // Ballots 21, 0*, 12, *2: candidate 1 sums 2+0+1 = 3 with one *, candidate 2 sums 1+2+2 = 5 with one *.
        Assert.Equal([(3L, 1L), (5L, 1L)], verification.Result!.Select(r => (r.Sum, r.NoScore)));
        Assert.Equal([1, 3], _election.Tally.Partials!.Select(p => p.Guardian));
    }

    [Fact]
    public void An_altered_ciphertext_is_named()
    {
        var record = _election.CopyRecord();
        EditBallots(record, ballots => ballots[1]!["candidates"]![0]!["score"]!["alpha"] = ElectionGroup.ElementHex(ElectionGroup.Standard.GPow(7)));

        Assert.Equal("ballots.json: ballot #2 (voter v2): its confirmation code does not match its ciphertexts", ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void A_proof_for_a_score_above_the_maximum_is_named()
    {
        var record = _election.CopyRecord();
        var cheat = CheatingBallot(_election, "v1", scoreOfCandidate1: 3);
        EditBallots(record, ballots => ballots[0] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(cheat, VerifiableJson.Default.EncryptedBallotJson)));

        Assert.Equal("ballots.json: ballot #1 (voter v1): candidate 1: the proof that the score is in 0..2 fails", ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void A_duplicated_ballot_is_named()
    {
        var record = _election.CopyRecord();
        EditBallots(record, ballots =>
        {
            var copy = ballots[2]!.DeepClone();
            copy["sequence"] = 5;
            ballots.Add(copy);
        });

        Assert.Equal("ballots.json: ballot #5 repeats the confirmation code of ballot #3 (a duplicated ballot)", ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void A_dropped_ballot_whose_code_a_voter_holds_is_named()
    {
        var record = _election.CopyRecord();
        EditBallots(record, ballots => ballots.RemoveAt(3));
        var code = _election.Ballots[3].Code;

        Assert.Equal($"confirmation code {code} is not on the record: a ballot a voter cast is missing", ElectionRecord.Verify(record, [code]).Failure);
        // Without the voter's code the encrypted tally still gives the drop away.
        Assert.Equal("tally.json: it counts 4 ballots, the record holds 3", ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void A_wrong_partial_decryption_is_named()
    {
        var record = _election.CopyRecord();
        EditTally(record, tally => tally["partials"]![1]!["candidates"]![0]!["score"] = ElectionGroup.ElementHex(ElectionGroup.Standard.GPow(11)));

        Assert.Equal("tally.json: guardian 3's partial decryption of candidate 1's score sum fails its proof", ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void An_altered_count_is_named()
    {
        var record = _election.CopyRecord();
        EditTally(record, tally => tally["result"]![1]!["sum"] = 6);

        Assert.Equal("tally.json: the published score sum of candidate 2 (6) is not what the decryption gives", ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void A_challenged_ballot_opens_to_what_was_typed_and_to_nothing_else()
    {
        var nonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var ballot = BallotEncryption.Encrypt(_election.Context, "v1", "2*", _election.VoterKeys[0], nonce);

        Assert.Null(BallotEncryption.CheckOpening(_election.Context, ballot, nonce, "2*"));
        Assert.Equal("candidate 1 is not encrypted as typed (1)", BallotEncryption.CheckOpening(_election.Context, ballot, nonce, "1*"));
        Assert.Equal("candidate 2 is not encrypted as typed (0)", BallotEncryption.CheckOpening(_election.Context, ballot, nonce, "20"));
    }

    /// <summary>A correctly signed ballot whose candidate 1 encrypts a score above the maximum (its range proof covers 0..max+1).</summary>
    internal static EncryptedBallotJson CheatingBallot(InProcessElection election, string voterId, int scoreOfCandidate1)
    {
        var context = election.Context;
        var max = context.Manifest.MaxScore;
        var group = context.Group;
        var candidates = new List<CandidateCiphertextJson>();
        var pairs = new List<(Ciphertext, Ciphertext)>();
        for (var m = 1; m <= 2; m++)
        {
            var score = m == 1 ? scoreOfCandidate1 : 0;
            var (xs, xf) = (group.RandomScalar(), group.RandomScalar());
            var (s, f) = (context.Encrypt(score, xs), context.Encrypt(0, xf));
            candidates.Add(new CandidateCiphertextJson
            {
                Score = BallotEncryption.ToJson(s),
                NoScore = BallotEncryption.ToJson(f),
                ScoreProof = [.. RangeProof.Prove(context, m, ValueKind.Score, s, xs, score, Math.Max(score, max)).Select(KeyCeremony.ToJson)],
                NoScoreProof = [.. RangeProof.Prove(context, m, ValueKind.NoScore, f, xf, 0, 1).Select(KeyCeremony.ToJson)],
                CombinedProof = [.. RangeProof.Prove(context, m, ValueKind.Combined, BallotEncryption.Combine(context, s, f), xs + ((max + 1) * xf), score, Math.Max(score, max + 1)).Select(KeyCeremony.ToJson)],
            });
            pairs.Add((s, f));
        }

        var code = BallotEncryption.ConfirmationCode(context, pairs);
        var key = election.VoterKeys[int.Parse(voterId[1..], System.Globalization.CultureInfo.InvariantCulture) - 1];
        return new EncryptedBallotJson
        {
            Election = context.Manifest.Name,
            VoterId = voterId,
            Sequence = 1,
            Code = Convert.ToHexString(code),
            Signature = Convert.ToBase64String(key.SignData(BallotEncryption.SignedBytes(context.Manifest.Name, voterId, code), System.Security.Cryptography.HashAlgorithmName.SHA256)),
            Candidates = candidates,
        };
    }

    private static void EditBallots(string record, Action<JsonArray> edit) => EditNode(record, ElectionRecord.BallotsFile, node => edit(node.AsArray()));

    private static void EditTally(string record, Action<JsonObject> edit) => EditNode(record, ElectionRecord.TallyFile, node => edit(node.AsObject()));

    private static void EditNode(string record, string file, Action<JsonNode> edit)
    {
        var path = Path.Combine(record, file);
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }
}
