using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace SafeWire.Voting.Verifiable;

/// <summary>
/// Encrypting a typed ballot (the seed's <c>45432*3</c>): per candidate an encryption of the score (0 for <c>*</c>)
/// and of the no-score flag, with three range proofs; every nonce derives from one 32-byte ballot nonce,
/// ξ = H(H_E; 20, ballot nonce, candidate, kind) mod q, so revealing it opens the ballot (Benaloh challenge).
/// </summary>
public static class BallotEncryption
{
    /// <summary>The prefix of the bytes a voter signs.</summary>
    public const string SignaturePrefix = "SafeWire verifiable ballot v1";

    /// <summary>Encrypts <paramref name="typed"/>; throws <see cref="VotingException"/> with the ballot's error when it is not valid.</summary>
    public static EncryptedBallotJson Encrypt(EncryptionContext context, string voterId, string typed, ECDsa voterKey, byte[] ballotNonce)
    {
        var manifest = context.Manifest;
        if (Ballot.Validate(typed, manifest.Candidates, manifest.MaxScore) is { } error)
        {
            throw new VotingException(error.Reason + ".");
        }

        var candidates = new List<CandidateCiphertextJson>(manifest.Candidates);
        var pairs = new List<(Ciphertext Score, Ciphertext NoScore)>(manifest.Candidates);
        for (var m = 1; m <= manifest.Candidates; m++)
        {
            var c = typed[m - 1];
            var noScore = c == Ballot.NoScore ? 1 : 0;
            var score = noScore == 1 ? 0 : c - '0';
            var xiScore = Nonce(context, ballotNonce, m, ValueKind.Score);
            var xiFlag = Nonce(context, ballotNonce, m, ValueKind.NoScore);
            var scoreCt = context.Encrypt(score, xiScore);
            var flagCt = context.Encrypt(noScore, xiFlag);
            var combined = Combine(context, scoreCt, flagCt);
            var combinedNonce = xiScore + ((manifest.MaxScore + 1) * xiFlag);
            candidates.Add(new CandidateCiphertextJson
            {
                Score = ToJson(scoreCt),
                NoScore = ToJson(flagCt),
                ScoreProof = ProofsToJson(RangeProof.Prove(context, m, ValueKind.Score, scoreCt, xiScore, score, manifest.MaxScore)),
                NoScoreProof = ProofsToJson(RangeProof.Prove(context, m, ValueKind.NoScore, flagCt, xiFlag, noScore, 1)),
                CombinedProof = ProofsToJson(RangeProof.Prove(context, m, ValueKind.Combined, combined, combinedNonce, score + ((manifest.MaxScore + 1) * noScore), manifest.MaxScore + 1)),
            });
            pairs.Add((scoreCt, flagCt));
        }

        var code = ConfirmationCode(context, pairs);
        var signature = voterKey.SignData(SignedBytes(manifest.Name, voterId, code), HashAlgorithmName.SHA256);
        return new EncryptedBallotJson
        {
            Election = manifest.Name,
            VoterId = voterId,
            Code = Convert.ToHexString(code),
            Signature = Convert.ToBase64String(signature),
            Candidates = candidates,
        };
    }

    /// <summary>The confirmation code H(H_E; 24, number of candidates, then α, β of score and no-score flag of each candidate).</summary>
    public static byte[] ConfirmationCode(EncryptionContext context, IReadOnlyList<(Ciphertext Score, Ciphertext NoScore)> candidates)
    {
        var input = new HashInput(0x24).U32(candidates.Count);
        foreach (var (score, noScore) in candidates)
        {
            input.Element(score.Alpha).Element(score.Beta).Element(noScore.Alpha).Element(noScore.Beta);
        }

        return input.Hash(context.ExtendedHash);
    }

    /// <summary>What the voter signs: prefix, election, voter ID (each length-prefixed) and the 32-byte code.</summary>
    public static byte[] SignedBytes(string election, string voterId, byte[] code) =>
        new HashInput(0x25).Text(SignaturePrefix).Text(election).Text(voterId).Raw(code).ToArray();

    /// <summary>
    /// Checks a ballot as the server and the verifier do: shape, ciphertexts in the group, code, signature under
    /// <paramref name="voterPublicKey"/> (SPKI), and the three range proofs of every candidate. Null when valid, else what fails.
    /// </summary>
    public static string? Check(EncryptionContext context, EncryptedBallotJson ballot, byte[]? voterPublicKey)
    {
        var manifest = context.Manifest;
        var group = context.Group;
        if (ballot.Election != manifest.Name)
        {
            return $"it is for election \"{ballot.Election}\"";
        }

        if (ballot.Candidates is null || ballot.Candidates.Count != manifest.Candidates)
        {
            return $"it has {ballot.Candidates?.Count ?? 0} candidates, the election {manifest.Candidates}";
        }

        var pairs = new List<(Ciphertext, Ciphertext)>();
        foreach (var candidate in ballot.Candidates)
        {
            var score = FromJson(candidate?.Score);
            var flag = FromJson(candidate?.NoScore);
            if (score is null || flag is null || !IsValid(group, score.Value) || !IsValid(group, flag.Value))
            {
                return $"candidate {pairs.Count + 1}'s ciphertexts are not group elements";
            }

            pairs.Add((score.Value, flag.Value));
        }

        var code = ConfirmationCode(context, pairs);
        if (ballot.Code != Convert.ToHexString(code))
        {
            return "its confirmation code does not match its ciphertexts";
        }

        if (voterPublicKey is not null)
        {
            byte[] signature;
            try
            {
                signature = Convert.FromBase64String(ballot.Signature ?? "");
            }
            catch (FormatException)
            {
                return "its signature is not base64";
            }

            using var key = ECDsa.Create();
            try
            {
                key.ImportSubjectPublicKeyInfo(voterPublicKey, out _);
            }
            catch (CryptographicException)
            {
                return "the voter's registered key is damaged";
            }

            if (!key.VerifyData(SignedBytes(manifest.Name, ballot.VoterId, code), signature, HashAlgorithmName.SHA256))
            {
                return $"its signature is not by voter {ballot.VoterId}'s registered key";
            }
        }

        for (var m = 1; m <= manifest.Candidates; m++)
        {
            var candidate = ballot.Candidates[m - 1];
            var (score, flag) = pairs[m - 1];
            if (!CheckProof(context, m, ValueKind.Score, score, candidate.ScoreProof, manifest.MaxScore))
            {
                return $"candidate {m}: the proof that the score is in 0..{manifest.MaxScore} fails";
            }

            if (!CheckProof(context, m, ValueKind.NoScore, flag, candidate.NoScoreProof, 1))
            {
                return $"candidate {m}: the proof that the no-score flag is 0 or 1 fails";
            }

            if (!CheckProof(context, m, ValueKind.Combined, Combine(context, score, flag), candidate.CombinedProof, manifest.MaxScore + 1))
            {
                return $"candidate {m}: the proof that no score means score 0 fails";
            }
        }

        return null;
    }

    /// <summary>
    /// Benaloh challenge: null when every ciphertext of <paramref name="ballot"/> is the encryption of what was typed under
    /// the nonces derived from <paramref name="ballotNonce"/>; else the first candidate that differs.
    /// </summary>
    public static string? CheckOpening(EncryptionContext context, EncryptedBallotJson ballot, byte[] ballotNonce, string typed)
    {
        var manifest = context.Manifest;
        if (Ballot.Validate(typed, manifest.Candidates, manifest.MaxScore) is { } error)
        {
            return "the typed ballot is not valid: " + error.Reason;
        }

        if (ballot.Candidates is null || ballot.Candidates.Count != manifest.Candidates)
        {
            return "the encrypted ballot has the wrong number of candidates";
        }

        for (var m = 1; m <= manifest.Candidates; m++)
        {
            var c = typed[m - 1];
            var noScore = c == Ballot.NoScore ? 1 : 0;
            var score = noScore == 1 ? 0 : c - '0';
            var expectedScore = context.Encrypt(score, Nonce(context, ballotNonce, m, ValueKind.Score));
            var expectedFlag = context.Encrypt(noScore, Nonce(context, ballotNonce, m, ValueKind.NoScore));
            if (FromJson(ballot.Candidates[m - 1].Score) != expectedScore || FromJson(ballot.Candidates[m - 1].NoScore) != expectedFlag)
            {
                return $"candidate {m} is not encrypted as typed ({c})";
            }
        }

        return null;
    }

    /// <summary>The parsed ciphertexts of a ballot already checked by <see cref="Check"/>.</summary>
    public static IReadOnlyList<(Ciphertext Score, Ciphertext NoScore)> Ciphertexts(EncryptedBallotJson ballot) =>
        [.. ballot.Candidates.Select(c => (FromJson(c.Score)!.Value, FromJson(c.NoScore)!.Value))];

    /// <summary>score · flag^(max+1): the encryption of score + (max+1)·flag.</summary>
    public static Ciphertext Combine(EncryptionContext context, Ciphertext score, Ciphertext flag) =>
        score.Times(flag.ToPower(context.Manifest.MaxScore + 1, context.Group), context.Group);

    /// <summary>ξ = H(H_E; 20, ballot nonce, candidate, kind) mod q.</summary>
    public static BigInteger Nonce(EncryptionContext context, byte[] ballotNonce, int candidate, ValueKind kind) =>
        new HashInput(0x20).Raw(ballotNonce).U32(candidate).Byte((byte)kind).HashModQ(context.ExtendedHash, context.Group);

    /// <summary>A ciphertext as hex.</summary>
    public static CiphertextJson ToJson(Ciphertext c) => new(ElectionGroup.ElementHex(c.Alpha), ElectionGroup.ElementHex(c.Beta));

    /// <summary>A ciphertext from hex, or null when malformed.</summary>
    public static Ciphertext? FromJson(CiphertextJson? c)
    {
        var alpha = ElectionGroup.TryParseHex(c?.Alpha, ElectionGroup.ElementSize * 2);
        var beta = ElectionGroup.TryParseHex(c?.Beta, ElectionGroup.ElementSize * 2);
        return alpha is null || beta is null ? null : new Ciphertext(alpha.Value, beta.Value);
    }

    private static bool IsValid(ElectionGroup group, Ciphertext c) => group.IsElement(c.Alpha) && group.IsElement(c.Beta);

    private static bool CheckProof(EncryptionContext context, int m, ValueKind kind, Ciphertext ct, IReadOnlyList<ProofJson>? proof, int limit)
    {
        if (proof is null)
        {
            return false;
        }

        var pairs = new List<ProofPair>(proof.Count);
        foreach (var p in proof)
        {
            if (KeyCeremony.FromJson(p) is not { } pair)
            {
                return false;
            }

            pairs.Add(pair);
        }

        return RangeProof.Verify(context, m, kind, ct, pairs, limit);
    }

    private static List<ProofJson> ProofsToJson(ProofPair[] proofs) => [.. proofs.Select(KeyCeremony.ToJson)];
}
