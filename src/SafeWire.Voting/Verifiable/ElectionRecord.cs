using System.Collections.Concurrent;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SafeWire.Voting.Verifiable;

/// <summary>The outcome of verifying a record: the first failing item (null when everything holds) and the verified result.</summary>
public sealed record RecordVerification(string? Failure, int Ballots, IReadOnlyList<ResultJson>? Result)
{
    /// <summary>True when every check passed.</summary>
    public bool Ok => Failure is null;
}

/// <summary>
/// The published election record, a folder of JSON files (docs/VOTING-RECORD.md): election.json, guardians.json,
/// voters.json, ballots.json, tally.json. <see cref="Verify"/> checks every proof and recomputes the tally.
/// </summary>
public static class ElectionRecord
{
    /// <summary>Parameters, manifest, joint key and base hashes.</summary>
    public const string ElectionFile = "election.json";

    /// <summary>The guardians' public keys.</summary>
    public const string GuardiansFile = "guardians.json";

    /// <summary>The registered voters' public keys.</summary>
    public const string VotersFile = "voters.json";

    /// <summary>Every recorded ballot.</summary>
    public const string BallotsFile = "ballots.json";

    /// <summary>Encrypted sums, partial decryptions and the result.</summary>
    public const string TallyFile = "tally.json";

    /// <summary>Writes the five files into <paramref name="directory"/> (each atomically).</summary>
    public static void Write(string directory, ElectionRecordJson election, IReadOnlyList<GuardianPublicKeyJson> guardians, IReadOnlyList<VoterJson> voters, IReadOnlyList<EncryptedBallotJson> ballots, TallyJson tally)
    {
        Directory.CreateDirectory(directory);
        SecureFile.WriteAllText(Path.Combine(directory, ElectionFile), JsonSerializer.Serialize(election, VerifiableJson.Default.ElectionRecordJson), isPrivate: false);
        SecureFile.WriteAllText(Path.Combine(directory, GuardiansFile), JsonSerializer.Serialize(guardians.ToList(), VerifiableJson.Default.ListGuardianPublicKeyJson), isPrivate: false);
        SecureFile.WriteAllText(Path.Combine(directory, VotersFile), JsonSerializer.Serialize(voters.ToList(), VerifiableJson.Default.ListVoterJson), isPrivate: false);
        SecureFile.WriteAllText(Path.Combine(directory, BallotsFile), JsonSerializer.Serialize(ballots.ToList(), VerifiableJson.Default.ListEncryptedBallotJson), isPrivate: false);
        SecureFile.WriteAllText(Path.Combine(directory, TallyFile), JsonSerializer.Serialize(tally, VerifiableJson.Default.TallyJson), isPrivate: false);
    }

    /// <summary>Reads one JSON file; throws <see cref="VotingException"/> naming the file when missing or malformed.</summary>
    public static T Read<T>(string path, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), type) ?? throw new VotingException($"{path} is empty.");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new VotingException($"Cannot read {path}: {e.Message}", e);
        }
    }

    /// <summary>Reads election.json.</summary>
    public static ElectionRecordJson ReadElection(string path) => Read(path, VerifiableJson.Default.ElectionRecordJson);

    /// <summary>Reads ballots.json.</summary>
    public static List<EncryptedBallotJson> ReadBallots(string path) => Read(path, VerifiableJson.Default.ListEncryptedBallotJson);

    /// <summary>
    /// Verifies the record in <paramref name="directory"/>: parameters and hashes, guardian proofs, joint key, every
    /// ballot (eligibility, uniqueness, code, signature, proofs), that each of <paramref name="codes"/> is on it, the
    /// encrypted tally, every partial decryption proof and the published counts. Stops at the first failure.
    /// </summary>
    public static RecordVerification Verify(string directory, IReadOnlyCollection<string> codes, Action<string>? progress = null)
    {
        try
        {
            return VerifyCore(directory, codes, progress ?? (_ => { }));
        }
        catch (VotingException e)
        {
            return new RecordVerification(e.Message, 0, null);
        }
    }

    private static RecordVerification VerifyCore(string directory, IReadOnlyCollection<string> codes, Action<string> progress)
    {
        static RecordVerification Fail(string message) => new(message, 0, null);
        var group = ElectionGroup.Standard;

        var election = Read(Path.Combine(directory, ElectionFile), VerifiableJson.Default.ElectionRecordJson);
        if (ElectionSetup.CheckPublicPart(election) is { } electionProblem)
        {
            return Fail($"{ElectionFile}: {electionProblem}");
        }

        progress("parameters, manifest and base hashes: ok");
        var guardians = Read(Path.Combine(directory, GuardiansFile), VerifiableJson.Default.ListGuardianPublicKeyJson);
        ElectionRecordJson expected;
        try
        {
            expected = ElectionSetup.WithJointKey(election with { JointKey = null, HE = null }, guardians);
        }
        catch (VotingException e)
        {
            return Fail($"{GuardiansFile}: {e.Message.TrimEnd('.')}");
        }

        if (expected.JointKey != election.JointKey)
        {
            return Fail($"{ElectionFile}: the joint key is not the product of the guardians' first commitments");
        }

        if (expected.HE != election.HE)
        {
            return Fail($"{ElectionFile}: the extended base hash H_E is wrong");
        }

        progress($"{guardians.Count} guardians' commitments and proofs, joint key, H_E: ok");
        var context = ElectionSetup.Open(election);
        var manifest = context.Manifest;

        var voters = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var voter in Read(Path.Combine(directory, VotersFile), VerifiableJson.Default.ListVoterJson))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(voter.PublicKey ?? "");
            }
            catch (FormatException)
            {
                return Fail($"{VotersFile}: voter {voter.VoterId}'s key is not base64");
            }

            if (!Identifiers.IsValid(voter.VoterId) || !voters.TryAdd(voter.VoterId, key))
            {
                return Fail($"{VotersFile}: voter \"{voter.VoterId}\" is invalid or listed twice");
            }
        }

        var ballots = ReadBallots(Path.Combine(directory, BallotsFile));
        if (ballots.Count > BallotEncryption.MaxBallots(manifest))
        {
            return Fail($"{BallotsFile}: {ballots.Count} ballots are more than a tally of this election can separate ({BallotEncryption.MaxBallots(manifest)})");
        }

        var byCode = new Dictionary<string, long>(StringComparer.Ordinal);
        var byVoter = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < ballots.Count; i++)
        {
            var ballot = ballots[i];
            if (ballot.Sequence != i + 1)
            {
                return Fail($"{BallotsFile}: the ballot at position {i + 1} has sequence number {ballot.Sequence?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}");
            }

            if (ballot.Code is null || !byCode.TryAdd(ballot.Code, i + 1))
            {
                return Fail($"{BallotsFile}: ballot #{i + 1} repeats the confirmation code of ballot #{(ballot.Code is null ? 0 : byCode[ballot.Code])} (a duplicated ballot)");
            }

            if (ballot.VoterId is null || !voters.ContainsKey(ballot.VoterId))
            {
                return Fail($"{BallotsFile}: ballot #{i + 1} is by \"{ballot.VoterId}\", who is not a registered voter");
            }

            if (!byVoter.TryAdd(ballot.VoterId, i + 1))
            {
                return Fail($"{BallotsFile}: voter {ballot.VoterId} has two ballots (#{byVoter[ballot.VoterId]} and #{i + 1})");
            }
        }

        var missing = codes.FirstOrDefault(code => !byCode.ContainsKey(code.Trim().ToUpperInvariant()));
        if (missing is not null)
        {
            return Fail($"confirmation code {missing} is not on the record: a ballot a voter cast is missing");
        }

        // The expensive part: every ballot's code, signature, subgroup checks and proofs, ballots spread over all cores.
        var failures = new ConcurrentDictionary<int, string>();
        var checkedCount = 0;
        Parallel.For(0, ballots.Count, i =>
        {
            if (failures.Keys.Any(k => k < i))
            {
                return;
            }

            var ballot = ballots[i];
            if (BallotEncryption.Check(context, ballot, voters[ballot.VoterId]) is { } problem)
            {
                failures[i] = $"{BallotsFile}: ballot #{i + 1} (voter {ballot.VoterId}): {problem}";
            }

            var done = Interlocked.Increment(ref checkedCount);
            if (done % 100 == 0)
            {
                progress($"{done} of {ballots.Count} ballots checked");
            }
        });
        if (!failures.IsEmpty)
        {
            return Fail(failures[failures.Keys.Min()]);
        }

        progress($"{ballots.Count} ballots: codes, signatures and proofs ok");
        var tally = Read(Path.Combine(directory, TallyFile), VerifiableJson.Default.TallyJson);
        if (tally.Ballots != ballots.Count)
        {
            return Fail($"{TallyFile}: it counts {tally.Ballots} ballots, the record holds {ballots.Count}");
        }

        var sums = TallyDecryption.Accumulate(group, manifest.Candidates, ballots.Select(BallotEncryption.Ciphertexts));
        if (tally.Encrypted is null || tally.Encrypted.Count != manifest.Candidates)
        {
            return Fail($"{TallyFile}: the encrypted tally does not have one entry per candidate");
        }

        for (var m = 1; m <= manifest.Candidates; m++)
        {
            if (BallotEncryption.FromJson(tally.Encrypted[m - 1]) != sums[m - 1])
            {
                return Fail($"{TallyFile}: the encrypted sum of candidate {m} is not the product of the recorded ballots");
            }
        }

        progress("encrypted tally = product of the ballots: ok");
        var commitments = guardians.OrderBy(g => g.Index).Select(g => (IReadOnlyList<BigInteger>)[.. g.Commitments.Select(KeyCeremony.ParseElement)]).ToList();
        var partials = tally.Partials ?? [];
        var present = new Dictionary<int, PartialDecryptionJson>();
        foreach (var partial in partials)
        {
            if (partial.Guardian < 1 || partial.Guardian > election.Guardians || !present.TryAdd(partial.Guardian, partial))
            {
                return Fail($"{TallyFile}: partial decryption by guardian {partial.Guardian} is out of range or repeated");
            }

            if (partial.Candidates is null || partial.Candidates.Count != manifest.Candidates)
            {
                return Fail($"{TallyFile}: guardian {partial.Guardian}'s partial decryption does not have one entry per candidate");
            }
        }

        if (present.Count < election.Quorum)
        {
            return Fail($"{TallyFile}: {present.Count} partial decryptions, the quorum is {election.Quorum}");
        }

        var values = new Dictionary<int, BigInteger[]>();
        foreach (var (i, partial) in present)
        {
            var publicShare = KeyCeremony.PublicShare(group, commitments, i);
            var row = new BigInteger[manifest.Candidates];
            for (var m = 1; m <= manifest.Candidates; m++)
            {
                var entry = partial.Candidates[m - 1];
                var value = ElectionGroup.TryParseHex(entry?.Value, ElectionGroup.ElementSize * 2);
                var proof = KeyCeremony.FromJson(entry?.Proof);
                if (value is null || proof is null || !group.IsElement(value.Value)
                    || !DecryptionProof.Verify(context, i, m, publicShare, sums[m - 1], value.Value, proof.Value))
                {
                    return Fail($"{TallyFile}: guardian {i}'s partial decryption of candidate {m}'s sum fails its proof");
                }

                row[m - 1] = value.Value;
            }

            values[i] = row;
        }

        progress($"partial decryptions of guardians {string.Join(", ", present.Keys.Order())}: proofs ok");
        var result = tally.Result;
        if (result is null || result.Count != manifest.Candidates)
        {
            return Fail($"{TallyFile}: the result does not have one entry per candidate");
        }

        for (var m = 1; m <= manifest.Candidates; m++)
        {
            var published = result[m - 1];
            if (published.Candidate != m || published.Name != manifest.CandidateNames[m - 1])
            {
                return Fail($"{TallyFile}: result entry {m} names another candidate");
            }

            if (published.Sum < 0 || published.Sum > (long)ballots.Count * manifest.MaxScore)
            {
                return Fail($"{TallyFile}: the published score sum of candidate {m} ({published.Sum}) is outside 0..{(long)ballots.Count * manifest.MaxScore}");
            }

            if (published.NoScore < 0 || published.NoScore > ballots.Count)
            {
                return Fail($"{TallyFile}: the published no-score count of candidate {m} ({published.NoScore}) is outside 0..{ballots.Count}");
            }

            // The decryption gives K^(sum + B·noScore); as sum < B the pair is the only one in range that gives it.
            var combined = TallyDecryption.Combine(group, values.ToDictionary(v => v.Key, v => v.Value[m - 1]));
            if (context.KTable.Pow(TallyDecryption.Total(published.Sum, published.NoScore)) != TallyDecryption.Unblind(group, sums[m - 1], combined))
            {
                return Fail($"{TallyFile}: the published score sum ({published.Sum}) and no-score count ({published.NoScore}) of candidate {m} are not what the decryption gives");
            }
        }

        progress("published counts = decryption: ok");
        return new RecordVerification(null, ballots.Count, result);
    }
}
