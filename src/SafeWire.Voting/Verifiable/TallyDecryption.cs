using System.Numerics;

namespace SafeWire.Voting.Verifiable;

/// <summary>
/// The homomorphic tally and its threshold decryption: each candidate's encrypted sum is the product of all ballots'
/// ciphertexts; guardian i publishes M_i = A^(z_i) with a Chaum-Pedersen proof; any k of them combine as
/// M = Π M_i^(w_i) (Lagrange), which stands in for the absent guardians; then B/M = K^t with
/// t = score sum + <see cref="BallotEncryption.NoScoreValue"/>·(no-score count), found by <see cref="CountFinder"/>.
/// </summary>
public static class TallyDecryption
{
    /// <summary>Per candidate, the product of the ciphertexts of <paramref name="ballots"/>.</summary>
    public static List<Ciphertext> Accumulate(ElectionGroup group, int candidates, IEnumerable<IReadOnlyList<Ciphertext>> ballots)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(ballots);
        var sums = Enumerable.Repeat(Ciphertext.One, candidates).ToList();
        foreach (var ballot in ballots)
        {
            for (var m = 0; m < candidates; m++)
            {
                sums[m] = sums[m].Times(ballot[m], group);
            }
        }

        return sums;
    }

    /// <summary>Guardian <paramref name="guardian"/>'s partial decryption of every encrypted sum, with proofs.</summary>
    public static PartialDecryptionJson Decrypt(EncryptionContext context, int guardian, BigInteger keyShare, IReadOnlyList<Ciphertext> sums)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sums);
        var group = context.Group;
        var publicShare = group.GPow(keyShare);
        var candidates = new List<PartialValueJson>(sums.Count);
        for (var m = 1; m <= sums.Count; m++)
        {
            var sum = sums[m - 1];
            var partial = group.Pow(sum.Alpha, keyShare);
            candidates.Add(new PartialValueJson(
                ElectionGroup.ElementHex(partial),
                KeyCeremony.ToJson(DecryptionProof.Prove(context, guardian, m, publicShare, sum, partial, keyShare))));
        }

        return new PartialDecryptionJson { Election = context.Manifest.Name, Guardian = guardian, Candidates = candidates };
    }

    /// <summary>M = Π M_i^(w_i) over the guardians present.</summary>
    public static BigInteger Combine(ElectionGroup group, IReadOnlyDictionary<int, BigInteger> partials)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(partials);
        var present = partials.Keys.ToList();
        var result = BigInteger.One;
        foreach (var (i, value) in partials)
        {
            result = group.Mul(result, group.Pow(value, KeyCeremony.Lagrange(group, i, present)));
        }

        return result;
    }

    /// <summary>B · M^(-1) = K^t: the decrypted sum's group encoding.</summary>
    public static BigInteger Unblind(ElectionGroup group, Ciphertext sum, BigInteger combined)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.Mul(sum.Beta, group.Invert(combined));
    }

    /// <summary>The exponent t = sum + <see cref="BallotEncryption.NoScoreValue"/>·noScore of a candidate's decrypted total.</summary>
    public static BigInteger Total(long sum, long noScore) => sum + (new BigInteger(BallotEncryption.NoScoreValue) * noScore);

    /// <summary>
    /// The published tally: checks every partial decryption's proofs (throws <see cref="VotingException"/> naming a bad
    /// one), needs at least k guardians, combines them and finds each count.
    /// </summary>
    public static TallyJson Finish(EncryptionContext context, ElectionRecordJson election, IReadOnlyList<GuardianPublicKeyJson> guardians,
        IReadOnlyList<Ciphertext> sums, int ballots, IEnumerable<PartialDecryptionJson> partials)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(election);
        ArgumentNullException.ThrowIfNull(guardians);
        ArgumentNullException.ThrowIfNull(sums);
        ArgumentNullException.ThrowIfNull(partials);
        var group = context.Group;
        var manifest = context.Manifest;
        if (ballots > BallotEncryption.MaxBallots(manifest))
        {
            throw new VotingException($"{ballots} ballots are more than a tally of this election can separate ({BallotEncryption.MaxBallots(manifest)}).");
        }

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
                var proof = KeyCeremony.FromJson(entry?.Proof);
                var value = ElectionGroup.TryParseHex(entry?.Value, ElectionGroup.ElementSize * 2);
                if (value is null || proof is null || !group.IsElement(value.Value)
                    || !DecryptionProof.Verify(context, partial.Guardian, m, publicShare, sums[m - 1], value.Value, proof.Value))
                {
                    throw new VotingException($"Guardian {partial.Guardian}'s partial decryption of candidate {m} fails its proof (made for another tally, or altered).");
                }
            }
        }

        if (accepted.Count < election.Quorum)
        {
            throw new VotingException($"{accepted.Count} partial decryption{(accepted.Count == 1 ? "" : "s")}, the quorum is {election.Quorum}.");
        }

        var finder = new CountFinder(context, ballots);
        var results = new List<ResultJson>(manifest.Candidates);
        for (var m = 1; m <= manifest.Candidates; m++)
        {
            var index = m - 1;
            var combined = Combine(group, accepted.ToDictionary(p => p.Key, p => KeyCeremony.ParseElement(p.Value.Candidates[index].Value)));
            var (sum, noScore) = finder.Find(Unblind(group, sums[index], combined))
                ?? throw new VotingException($"The sum of candidate {m} does not decrypt to a score sum in 0..{(long)ballots * manifest.MaxScore} and a no-score count in 0..{ballots}.");
            results.Add(new ResultJson { Candidate = m, Name = manifest.CandidateNames[index], Sum = sum, NoScore = noScore });
        }

        return new TallyJson
        {
            Election = manifest.Name,
            Ballots = ballots,
            Encrypted = [.. sums.Select(BallotEncryption.ToJson)],
            Partials = [.. accepted.Values],
            Result = results,
        };
    }
}

/// <summary>
/// Finds (S, N) with K^(S + B·N) = target for 0 ≤ S ≤ ballots·max and 0 ≤ N ≤ ballots (B the no-score value): a table
/// of K^S for every S (ballots·max multiplications, shared by all candidates, keyed by 64 bits of each element), then
/// per candidate at most ballots + 1 steps target·K^(−B·N). A table hit is confirmed by recomputing K^(S + B·N).
/// </summary>
internal sealed class CountFinder
{
    private readonly EncryptionContext _context;
    private readonly long _ballots;
    private readonly Dictionary<ulong, long> _scores = [];
    private readonly Dictionary<ulong, List<long>> _collisions = [];
    private readonly BigInteger _giantStep;

    /// <summary>Builds the table for a tally of <paramref name="ballots"/> ballots.</summary>
    public CountFinder(EncryptionContext context, long ballots)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ballots < 0 || ballots > BallotEncryption.MaxBallots(context.Manifest))
        {
            throw new ArgumentOutOfRangeException(nameof(ballots));
        }

        _context = context;
        _ballots = ballots;
        var value = BigInteger.One;
        var maxSum = ballots * context.Manifest.MaxScore;
        for (long s = 0; s <= maxSum; s++)
        {
            var key = Key(value);
            if (!_scores.TryAdd(key, s))
            {
                if (!_collisions.TryGetValue(key, out var list))
                {
                    _collisions[key] = list = [];
                }

                list.Add(s);
            }

            value = context.Group.Mul(value, context.JointKey);
        }

        _giantStep = context.Group.Invert(context.KTable.Pow(BallotEncryption.NoScoreValue));
    }

    /// <summary>The score sum and no-score count whose total K^t equals <paramref name="target"/>, or null when there is none in range.</summary>
    public (long Sum, long NoScore)? Find(BigInteger target)
    {
        var group = _context.Group;
        var value = target;
        for (long n = 0; n <= _ballots; n++)
        {
            var key = Key(value);
            if (_scores.TryGetValue(key, out var s))
            {
                foreach (var candidate in _collisions.TryGetValue(key, out var more) ? [s, .. more] : new[] { s })
                {
                    if (_context.KTable.Pow(TallyDecryption.Total(candidate, n)) == target)
                    {
                        return (candidate, n);
                    }
                }
            }

            value = group.Mul(value, _giantStep);
        }

        return null;
    }

    private static ulong Key(BigInteger element) => (ulong)(element & ulong.MaxValue);
}
