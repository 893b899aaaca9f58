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
        EditBallots(record, ballots => ballots[1]!["candidates"]![0]!["ciphertext"]!["alpha"] = ElectionGroup.ElementHex(ElectionGroup.Standard.GPow(7)));

        Assert.Equal("ballots.json: ballot #2 (voter v2): its confirmation code does not match its ciphertexts", ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void A_proof_for_a_score_above_the_maximum_is_named()
    {
        var record = _election.CopyRecord();
        var cheat = CheatingBallot(_election, "v1", scoreOfCandidate1: 3);
        EditBallots(record, ballots => ballots[0] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(cheat, VerifiableJson.Default.EncryptedBallotJson)));

        Assert.Equal("ballots.json: ballot #1 (voter v1): candidate 1: the proof that it encrypts a score in 0..2 or no score fails", ElectionRecord.Verify(record, []).Failure);
    }

    [Theory]
    [InlineData(3)] // just above the maximum score
    [InlineData(-1)] // "minus one": q − 1 in the exponent
    [InlineData(BallotEncryption.NoScoreValue + 1)] // next to the no-score value
    [InlineData(2 * BallotEncryption.NoScoreValue)] // two no-scores in one ciphertext
    public void A_proof_for_a_value_outside_the_allowed_set_is_rejected(long value)
    {
        // The cheater's proof is valid for the set with one allowed value replaced by its own value; the verifier
        // uses 0..max and the no-score value, so the proof fails; the honest encoding's proofs pass.
        var context = _election.Context;
        var allowed = BallotEncryption.AllowedValues(context.Manifest);
        Assert.Equal([0L, 1L, 2L, BallotEncryption.NoScoreValue], allowed);
        var nonce = context.Group.RandomScalar();
        var ciphertext = context.Encrypt(value, nonce);
        var cheatSet = allowed.ToArray();
        cheatSet[2] = value;
        Assert.True(RangeProof.Verify(context, 1, ciphertext, RangeProof.Prove(context, 1, ciphertext, nonce, 2, cheatSet), cheatSet));
        Assert.False(RangeProof.Verify(context, 1, ciphertext, RangeProof.Prove(context, 1, ciphertext, nonce, 2, cheatSet), allowed));

        for (var index = 0; index < allowed.Count; index++)
        {
            var honest = context.Encrypt(allowed[index], nonce);
            var proof = RangeProof.Prove(context, 1, honest, nonce, index, allowed);
            Assert.True(RangeProof.Verify(context, 1, honest, proof, allowed));
            Assert.False(RangeProof.Verify(context, 2, honest, proof, allowed)); // bound to the candidate
            Assert.False(RangeProof.Verify(context, 1, honest, proof.Take(allowed.Count - 1).ToArray(), allowed.Take(allowed.Count - 1).ToArray()));
        }
    }

    [Fact]
    public void The_decrypted_sum_splits_into_score_sum_and_no_score_count_at_every_boundary()
    {
        // 3 ballots, max score 2: every score sum 0..6 with every no-score count 0..3, as K^(sum + 2^31·count).
        var context = _election.Context;
        var finder = new CountFinder(context, 3);
        for (var noScore = 0L; noScore <= 3; noScore++)
        {
            for (var sum = 0L; sum <= 6; sum++)
            {
                Assert.Equal((sum, noScore), finder.Find(context.KTable.Pow(TallyDecryption.Total(sum, noScore))));
            }
        }

        Assert.Null(finder.Find(context.KTable.Pow(TallyDecryption.Total(7, 0)))); // a score sum above ballots·max
        Assert.Null(finder.Find(context.KTable.Pow(TallyDecryption.Total(0, 4)))); // more no-scores than ballots
        Assert.Null(finder.Find(context.KTable.Pow(BallotEncryption.NoScoreValue - 1)));
        Assert.Equal(BallotEncryption.NoScoreValue - 1, BallotEncryption.MaxBallots(context.Manifest) * context.Manifest.MaxScore + 1);
    }

    [Fact]
    public void A_ciphertext_outside_the_subgroup_is_named_even_when_code_and_signature_match()
    {
        var record = _election.CopyRecord();
        var honest = _election.Ballots[1];
        var group = ElectionGroup.Standard;
        var ciphertexts = BallotEncryption.Ciphertexts(honest).ToList();
        ciphertexts[1] = ciphertexts[1] with { Beta = group.P - ciphertexts[1].Beta }; // −β: order 2q, not in the subgroup
        var code = BallotEncryption.ConfirmationCode(_election.Context, ciphertexts);
        var cheat = honest with
        {
            Code = Convert.ToHexString(code),
            Signature = Convert.ToBase64String(_election.VoterKeys[1].SignData(BallotEncryption.SignedBytes("kat", "v2", code), System.Security.Cryptography.HashAlgorithmName.SHA256)),
            Candidates = [honest.Candidates[0], honest.Candidates[1] with { Ciphertext = BallotEncryption.ToJson(ciphertexts[1]) }],
        };
        EditBallots(record, ballots => ballots[1] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(cheat, VerifiableJson.Default.EncryptedBallotJson)));

        Assert.Equal("ballots.json: ballot #2 (voter v2): candidate 2's ciphertext is not a pair of group elements", ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void A_record_in_the_first_format_is_refused_with_its_reason()
    {
        var record = _election.CopyRecord();
        EditNode(record, ElectionRecord.ElectionFile, node => node["format"] = "safewire-verifiable-election-v1");

        Assert.Equal(
            "election.json: the election uses the first verifiable format (two ciphertexts and three proofs per candidate), which this version no longer reads: run the election again with this version",
            ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void A_count_outside_its_range_is_named()
    {
        var record = _election.CopyRecord();
        EditTally(record, tally => tally["result"]![0]!["noScore"] = 5);

        Assert.Equal("tally.json: the published no-score count of candidate 1 (5) is outside 0..4", ElectionRecord.Verify(record, []).Failure);
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
        EditTally(record, tally => tally["partials"]![1]!["candidates"]![0]!["value"] = ElectionGroup.ElementHex(ElectionGroup.Standard.GPow(11)));

        Assert.Equal("tally.json: guardian 3's partial decryption of candidate 1's sum fails its proof", ElectionRecord.Verify(record, []).Failure);
    }

    [Fact]
    public void An_altered_count_is_named()
    {
        var record = _election.CopyRecord();
        EditTally(record, tally => tally["result"]![1]!["sum"] = 6);

        Assert.Equal("tally.json: the published score sum (6) and no-score count (1) of candidate 2 are not what the decryption gives", ElectionRecord.Verify(record, []).Failure);
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

    /// <summary>
    /// A correctly signed ballot whose candidate 1 encrypts a score above the maximum; its proof is a valid proof for the
    /// allowed set with that score in place of the maximum.
    /// </summary>
    internal static EncryptedBallotJson CheatingBallot(InProcessElection election, string voterId, int scoreOfCandidate1)
    {
        var context = election.Context;
        var max = context.Manifest.MaxScore;
        var candidates = new List<CandidateCiphertextJson>();
        var ciphertexts = new List<Ciphertext>();
        for (var m = 1; m <= 2; m++)
        {
            var values = BallotEncryption.AllowedValues(context.Manifest).ToArray();
            var score = m == 1 ? scoreOfCandidate1 : 0;
            if (m == 1)
            {
                values[max] = score;
            }

            var xi = context.Group.RandomScalar();
            var ciphertext = context.Encrypt(score, xi);
            candidates.Add(new CandidateCiphertextJson
            {
                Ciphertext = BallotEncryption.ToJson(ciphertext),
                Proof = [.. RangeProof.Prove(context, m, ciphertext, xi, Array.IndexOf(values, (long)score), values).Select(KeyCeremony.ToJson)],
            });
            ciphertexts.Add(ciphertext);
        }

        var code = BallotEncryption.ConfirmationCode(context, ciphertexts);
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
