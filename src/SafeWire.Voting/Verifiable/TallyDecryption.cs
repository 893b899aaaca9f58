using System.Numerics;

namespace SafeWire.Voting.Verifiable;

/// <summary>
/// The homomorphic tally and its threshold decryption: the encrypted sums are the products of all ballots'
/// ciphertexts; guardian i publishes M_i = A^(z_i) with a Chaum-Pedersen proof; any k of them combine as
/// M = Π M_i^(w_i) (Lagrange), which stands in for the absent guardians; then B/M = K^t and t is found by counting up.
/// </summary>
public static class TallyDecryption
{
    /// <summary>Per candidate, the products of the score and no-score ciphertexts of <paramref name="ballots"/>.</summary>
    public static List<(Ciphertext Score, Ciphertext NoScore)> Accumulate(ElectionGroup group, int candidates, IEnumerable<IReadOnlyList<(Ciphertext Score, Ciphertext NoScore)>> ballots)
    {
        var sums = Enumerable.Repeat((Score: Ciphertext.One, NoScore: Ciphertext.One), candidates).ToList();
        foreach (var ballot in ballots)
        {
            for (var m = 0; m < candidates; m++)
            {
                sums[m] = (sums[m].Score.Times(ballot[m].Score, group), sums[m].NoScore.Times(ballot[m].NoScore, group));
            }
        }

        return sums;
    }

    /// <summary>Guardian <paramref name="guardian"/>'s partial decryption of every encrypted sum, with proofs.</summary>
    public static PartialDecryptionJson Decrypt(EncryptionContext context, int guardian, BigInteger keyShare, IReadOnlyList<(Ciphertext Score, Ciphertext NoScore)> sums)
    {
        var group = context.Group;
        var publicShare = group.GPow(keyShare);
        var candidates = new List<PartialValueJson>(sums.Count);
        for (var m = 1; m <= sums.Count; m++)
        {
            var (score, flag) = sums[m - 1];
            var mScore = group.Pow(score.Alpha, keyShare);
            var mFlag = group.Pow(flag.Alpha, keyShare);
            candidates.Add(new PartialValueJson(
                ElectionGroup.ElementHex(mScore),
                KeyCeremony.ToJson(DecryptionProof.Prove(context, guardian, m, ValueKind.Score, publicShare, score, mScore, keyShare)),
                ElectionGroup.ElementHex(mFlag),
                KeyCeremony.ToJson(DecryptionProof.Prove(context, guardian, m, ValueKind.NoScore, publicShare, flag, mFlag, keyShare))));
        }

        return new PartialDecryptionJson { Election = context.Manifest.Name, Guardian = guardian, Candidates = candidates };
    }

    /// <summary>M = Π M_i^(w_i) over the guardians present.</summary>
    public static BigInteger Combine(ElectionGroup group, IReadOnlyDictionary<int, BigInteger> partials)
    {
        var present = partials.Keys.ToList();
        var result = BigInteger.One;
        foreach (var (i, value) in partials)
        {
            result = group.Mul(result, group.Pow(value, KeyCeremony.Lagrange(group, i, present)));
        }

        return result;
    }

    /// <summary>t in 0..<paramref name="bound"/> with K^t = <paramref name="target"/>, or null.</summary>
    public static long? DiscreteLog(EncryptionContext context, BigInteger target, long bound)
    {
        var value = BigInteger.One;
        for (long t = 0; t <= bound; t++)
        {
            if (value == target)
            {
                return t;
            }

            value = context.Group.Mul(value, context.JointKey);
        }

        return null;
    }

    /// <summary>B · M^(-1) = K^t: the decrypted sum's group encoding.</summary>
    public static BigInteger Unblind(ElectionGroup group, Ciphertext sum, BigInteger combined) => group.Mul(sum.Beta, group.Invert(combined));

    /// <summary>
    /// The published tally: checks every partial decryption's proofs (throws <see cref="VotingException"/> naming a bad
    /// one), needs at least k guardians, combines them and finds each count.
    /// </summary>
    public static TallyJson Finish(EncryptionContext context, ElectionRecordJson election, IReadOnlyList<GuardianPublicKeyJson> guardians,
        IReadOnlyList<(Ciphertext Score, Ciphertext NoScore)> sums, int ballots, IEnumerable<PartialDecryptionJson> partials)
    {
        var group = context.Group;
        var manifest = context.Manifest;
        var commitments = guardians.OrderBy(g => g.Index).Select(g => (IReadOnlyList<BigInteger>)[.. g.Commitments.Select(KeyCeremony.ParseElement)]).ToList();
        var accepted = new SortedDictionary<int, PartialDecryptionJson>();
        foreach (var partial in partials)
        {
            if (partial.Election != manifest.Name || partial.Guardian < 1 || partial.Guardian > election.Guardians
                || partial.Candidates is null || partial.Candidates.Count != manifest.Candidates)
            {
                throw new VotingException($"The partial decryption of guardian {partial.Guardian} is not for this election's tally.");
            }

            if (!accepted.TryAdd(partial.Guardian, partial))
            {
                throw new VotingException($"Two partial decryptions from guardian {partial.Guardian}.");
            }

            var publicShare = KeyCeremony.PublicShare(group, commitments, partial.Guardian);
            for (var m = 1; m <= manifest.Candidates; m++)
            {
                var entry = partial.Candidates[m - 1];
                var scoreProof = KeyCeremony.FromJson(entry.ScoreProof);
                var flagProof = KeyCeremony.FromJson(entry.NoScoreProof);
                var score = ElectionGroup.TryParseHex(entry.Score, ElectionGroup.ElementSize * 2);
                var flag = ElectionGroup.TryParseHex(entry.NoScore, ElectionGroup.ElementSize * 2);
                if (score is null || flag is null || scoreProof is null || flagProof is null
                    || !DecryptionProof.Verify(context, partial.Guardian, m, ValueKind.Score, publicShare, sums[m - 1].Score, score.Value, scoreProof.Value)
                    || !DecryptionProof.Verify(context, partial.Guardian, m, ValueKind.NoScore, publicShare, sums[m - 1].NoScore, flag.Value, flagProof.Value))
                {
                    throw new VotingException($"Guardian {partial.Guardian}'s partial decryption of candidate {m} fails its proof (made for another tally, or altered).");
                }
            }
        }

        if (accepted.Count < election.Quorum)
        {
            throw new VotingException($"{accepted.Count} partial decryption{(accepted.Count == 1 ? "" : "s")}, the quorum is {election.Quorum}.");
        }

        var results = new List<ResultJson>(manifest.Candidates);
        for (var m = 1; m <= manifest.Candidates; m++)
        {
            var index = m - 1;
            var scoreM = Combine(group, accepted.ToDictionary(p => p.Key, p => KeyCeremony.ParseElement(p.Value.Candidates[index].Score)));
            var flagM = Combine(group, accepted.ToDictionary(p => p.Key, p => KeyCeremony.ParseElement(p.Value.Candidates[index].NoScore)));
            var sum = DiscreteLog(context, Unblind(group, sums[index].Score, scoreM), (long)ballots * manifest.MaxScore)
                ?? throw new VotingException($"The score sum of candidate {m} does not decrypt to 0..{(long)ballots * manifest.MaxScore}.");
            var noScore = DiscreteLog(context, Unblind(group, sums[index].NoScore, flagM), ballots)
                ?? throw new VotingException($"The no-score count of candidate {m} does not decrypt to 0..{ballots}.");
            results.Add(new ResultJson { Candidate = m, Name = manifest.CandidateNames[index], Sum = sum, NoScore = noScore });
        }

        return new TallyJson
        {
            Election = manifest.Name,
            Ballots = ballots,
            Encrypted = [.. sums.Select(s => new CandidateTallyJson(BallotEncryption.ToJson(s.Score), BallotEncryption.ToJson(s.NoScore)))],
            Partials = [.. accepted.Values],
            Result = results,
        };
    }
}
