using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace SafeWire.Voting.Verifiable;

/// <summary>
/// Encrypting a typed ballot (the seed's <c>45432*3</c>): per candidate one exponential ElGamal encryption of the
/// score 0..max, or of <see cref="NoScoreValue"/> for <c>*</c>, with one proof that it is one of those values. Every
/// nonce derives from one 32-byte ballot nonce, ξ_m = H(H_E; 20, ballot nonce, m) mod q, so revealing it opens the
/// ballot (Benaloh challenge). The tally's decrypted sum per candidate is scores + <see cref="NoScoreValue"/>·(number of
/// <c>*</c>), and the two separate because the scores sum to less than <see cref="NoScoreValue"/>.
/// </summary>
public static class BallotEncryption
{
    /// <summary>The prefix of the bytes a voter signs.</summary>
    public const string SignaturePrefix = "SafeWire verifiable ballot v2";

    /// <summary>The value a candidate's ciphertext encrypts when the voter gave no score (<c>*</c>): 2^31.</summary>
    public const long NoScoreValue = 1L << 31;

    /// <summary>
    /// The most ballots a tally may hold: their scores must sum to less than <see cref="NoScoreValue"/>, so that the
    /// decrypted sum splits into the score sum and the no-score count.
    /// </summary>
    public static long MaxBallots(VerifiableManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return (NoScoreValue - 1) / manifest.MaxScore;
    }

    /// <summary>The values a candidate's ciphertext may encrypt, in proof order: 0, 1, …, max score, then <see cref="NoScoreValue"/>.</summary>
    public static IReadOnlyList<long> AllowedValues(VerifiableManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return [.. Enumerable.Range(0, manifest.MaxScore + 1).Select(v => (long)v), NoScoreValue];
    }

    /// <summary>The index in <see cref="AllowedValues"/> of a typed character (a digit 0..max or <c>*</c>), which must be valid.</summary>
    public static int ValueIndex(VerifiableManifest manifest, char typed)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return typed == Ballot.NoScore ? manifest.MaxScore + 1 : typed - '0';
    }

    /// <summary>Encrypts <paramref name="typed"/>; throws <see cref="VotingException"/> with the ballot's error when it is not valid.</summary>
    public static EncryptedBallotJson Encrypt(EncryptionContext context, string voterId, string typed, ECDsa voterKey, byte[] ballotNonce)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(voterKey);
        var manifest = context.Manifest;
        if (Ballot.Validate(typed, manifest.Candidates, manifest.MaxScore) is { } error)
        {
            throw new VotingException(error.Reason + ".");
        }

        var allowed = AllowedValues(manifest);
        var candidates = new List<CandidateCiphertextJson>(manifest.Candidates);
        var ciphertexts = new List<Ciphertext>(manifest.Candidates);
        for (var m = 1; m <= manifest.Candidates; m++)
        {
            var index = ValueIndex(manifest, typed[m - 1]);
            var xi = Nonce(context, ballotNonce, m);
            var ciphertext = context.Encrypt(allowed[index], xi);
            candidates.Add(new CandidateCiphertextJson
            {
                Ciphertext = ToJson(ciphertext),
                Proof = ProofsToJson(RangeProof.Prove(context, m, ciphertext, xi, index, allowed)),
            });
            ciphertexts.Add(ciphertext);
        }

        var code = ConfirmationCode(context, ciphertexts);
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

    /// <summary>The confirmation code H(H_E; 24, number of candidates, then α, β of each candidate's ciphertext).</summary>
    public static byte[] ConfirmationCode(EncryptionContext context, IReadOnlyList<Ciphertext> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        var input = new HashInput(0x24).U32(candidates.Count);
        foreach (var ciphertext in candidates)
        {
            input.Element(ciphertext.Alpha).Element(ciphertext.Beta);
        }

        return input.Hash(context.ExtendedHash);
    }

    /// <summary>What the voter signs: prefix, election, voter ID (each length-prefixed) and the 32-byte code.</summary>
    public static byte[] SignedBytes(string election, string voterId, byte[] code) =>
        new HashInput(0x25).Text(SignaturePrefix).Text(election).Text(voterId).Raw(code).ToArray();

    /// <summary>
    /// Checks a ballot as the server and the verifier do: shape, code, signature under <paramref name="voterPublicKey"/>
    /// (SPKI), then for every candidate that α and β are group elements and the proof that the ciphertext encrypts
    /// 0..max or no score. With <paramref name="parallel"/> the candidates are checked on all cores. Null when valid,
    /// else what fails (the first failing candidate in order).
    /// </summary>
    public static string? Check(EncryptionContext context, EncryptedBallotJson ballot, byte[]? voterPublicKey, bool parallel = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(ballot);
        var manifest = context.Manifest;
        if (ballot.Election != manifest.Name)
        {
            return $"it is for election \"{ballot.Election}\"";
        }

        if (ballot.Candidates is null || ballot.Candidates.Count != manifest.Candidates)
        {
            return $"it has {ballot.Candidates?.Count ?? 0} candidates, the election {manifest.Candidates}";
        }

        var ciphertexts = new List<Ciphertext>(manifest.Candidates);
        var proofs = new List<ProofPair[]>(manifest.Candidates);
        foreach (var candidate in ballot.Candidates)
        {
            var m = ciphertexts.Count + 1;
            if (FromJson(candidate?.Ciphertext) is not { } ciphertext)
            {
                return $"candidate {m}'s ciphertext is not two 1024-digit hex numbers";
            }

            if (ParseProof(candidate!.Proof) is not { } proof)
            {
                return $"candidate {m}'s proof is not a list of hex challenge and response pairs";
            }

            ciphertexts.Add(ciphertext);
            proofs.Add(proof);
        }

        var code = ConfirmationCode(context, ciphertexts);
        if (ballot.Code != Convert.ToHexString(code))
        {
            return "its confirmation code does not match its ciphertexts";
        }

        if (voterPublicKey is not null && CheckSignature(manifest.Name, ballot, code, voterPublicKey) is { } signatureProblem)
        {
            return signatureProblem;
        }

        // The expensive part: 2 subgroup checks and one proof of max + 2 branches per candidate.
        var allowed = AllowedValues(manifest);
        string? CheckCandidate(int index)
        {
            return RangeProof.VerifyWithElements(context, index + 1, ciphertexts[index], proofs[index], allowed) switch
            {
                null => $"candidate {index + 1}'s ciphertext is not a pair of group elements",
                true => null,
                false => $"candidate {index + 1}: the proof that it encrypts a score in 0..{manifest.MaxScore} or no score fails",
            };
        }

        if (!parallel)
        {
            for (var i = 0; i < ciphertexts.Count; i++)
            {
                if (CheckCandidate(i) is { } problem)
                {
                    return problem;
                }
            }

            return null;
        }

        var problems = new string?[ciphertexts.Count];
        Parallel.For(0, ciphertexts.Count, i => problems[i] = CheckCandidate(i));
        return problems.FirstOrDefault(p => p is not null);
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

        var allowed = AllowedValues(manifest);
        for (var m = 1; m <= manifest.Candidates; m++)
        {
            var c = typed[m - 1];
            var expected = context.Encrypt(allowed[ValueIndex(manifest, c)], Nonce(context, ballotNonce, m));
            if (FromJson(ballot.Candidates[m - 1]?.Ciphertext) != expected)
            {
                return $"candidate {m} is not encrypted as typed ({c})";
            }
        }

        return null;
    }

    /// <summary>The parsed ciphertexts of a ballot already checked by <see cref="Check"/>.</summary>
    public static IReadOnlyList<Ciphertext> Ciphertexts(EncryptedBallotJson ballot)
    {
        ArgumentNullException.ThrowIfNull(ballot);
        return [.. ballot.Candidates.Select(c => FromJson(c.Ciphertext)!.Value)];
    }

    /// <summary>ξ_m = H(H_E; 20, ballot nonce, m) mod q.</summary>
    public static BigInteger Nonce(EncryptionContext context, byte[] ballotNonce, int candidate)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new HashInput(0x20).Raw(ballotNonce).U32(candidate).HashModQ(context.ExtendedHash, context.Group);
    }

    /// <summary>A ciphertext as hex.</summary>
    public static CiphertextJson ToJson(Ciphertext c) => new(ElectionGroup.ElementHex(c.Alpha), ElectionGroup.ElementHex(c.Beta));

    /// <summary>A ciphertext from hex, or null when malformed.</summary>
    public static Ciphertext? FromJson(CiphertextJson? c)
    {
        var alpha = ElectionGroup.TryParseHex(c?.Alpha, ElectionGroup.ElementSize * 2);
        var beta = ElectionGroup.TryParseHex(c?.Beta, ElectionGroup.ElementSize * 2);
        return alpha is null || beta is null ? null : new Ciphertext(alpha.Value, beta.Value);
    }

    private static string? CheckSignature(string election, EncryptedBallotJson ballot, byte[] code, byte[] voterPublicKey)
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

        return key.VerifyData(SignedBytes(election, ballot.VoterId, code), signature, HashAlgorithmName.SHA256)
            ? null
            : $"its signature is not by voter {ballot.VoterId}'s registered key";
    }

    private static ProofPair[]? ParseProof(IReadOnlyList<ProofJson>? proof)
    {
        if (proof is null)
        {
            return null;
        }

        var pairs = new ProofPair[proof.Count];
        for (var i = 0; i < pairs.Length; i++)
        {
            if (KeyCeremony.FromJson(proof[i]) is not { } pair)
            {
                return null;
            }

            pairs[i] = pair;
        }

        return pairs;
    }

    private static List<ProofJson> ProofsToJson(ProofPair[] proofs) => [.. proofs.Select(KeyCeremony.ToJson)];
}
