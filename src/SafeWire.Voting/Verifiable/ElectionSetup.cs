using System.Numerics;

namespace SafeWire.Voting.Verifiable;

/// <summary>Builds and opens the public description of a verifiable election (election.json of the record).</summary>
public static class ElectionSetup
{
    /// <summary>Most candidates in a verifiable election (every ballot must fit the record and the wire limits).</summary>
    public const int MaxCandidates = 32;

    /// <summary>The election before its key ceremony: parameters, manifest, n, k and the hashes H_P, H_M, H_B.</summary>
    public static ElectionRecordJson Create(VerifiableManifest manifest, int guardians, int quorum)
    {
        KeyCeremony.CheckSizes(guardians, quorum);
        if (manifest.Candidates is < 1 or > MaxCandidates)
        {
            throw new VotingException($"A verifiable election has 1..{MaxCandidates} candidates (got {manifest.Candidates}).");
        }

        var group = ElectionGroup.Standard;
        var hP = BaseHashes.Parameters(group);
        var hM = BaseHashes.Manifest(hP, manifest);
        return new ElectionRecordJson
        {
            Parameters = new ParametersJson
            {
                Version = BaseHashes.Version,
                P = ElectionGroup.ElementHex(group.P),
                Q = ElectionGroup.ScalarHex(group.Q),
                G = ElectionGroup.ElementHex(group.G),
                HP = Convert.ToHexString(hP),
            },
            Manifest = manifest,
            HM = Convert.ToHexString(hM),
            Guardians = guardians,
            Quorum = quorum,
            HB = Convert.ToHexString(BaseHashes.Base(hP, hM, guardians, quorum)),
        };
    }

    /// <summary>Completes the election with the joint key of the checked guardian keys (K = Π K_i,0) and H_E.</summary>
    public static ElectionRecordJson WithJointKey(ElectionRecordJson election, IEnumerable<GuardianPublicKeyJson> keys)
    {
        var group = ElectionGroup.Standard;
        var sorted = KeyCeremony.CheckKeySet(keys, election.Manifest.Name, election.Guardians, election.Quorum);
        var commitments = sorted.Select(k => (IReadOnlyList<BigInteger>)[.. k.Commitments.Select(KeyCeremony.ParseElement)]).ToList();
        var jointKey = commitments.Aggregate(BigInteger.One, (product, c) => group.Mul(product, c[0]));
        var hE = BaseHashes.Extended(Convert.FromHexString(election.HB), jointKey, commitments);
        return election with { JointKey = ElectionGroup.ElementHex(jointKey), HE = Convert.ToHexString(hE) };
    }

    /// <summary>
    /// Checks that <paramref name="election"/> uses the standard group and consistent hashes, and returns the context for
    /// encrypting and proving. Throws <see cref="VotingException"/> naming the first mismatch.
    /// </summary>
    public static EncryptionContext Open(ElectionRecordJson election)
    {
        if (CheckPublicPart(election) is { } problem)
        {
            throw new VotingException(problem + ".");
        }

        if (election.JointKey is null || election.HE is null)
        {
            throw new VotingException($"Election {election.Manifest.Name} has no joint key yet: the key ceremony is not finished.");
        }

        var group = ElectionGroup.Standard;
        var key = ElectionGroup.TryParseHex(election.JointKey, ElectionGroup.ElementSize * 2);
        if (key is null || !group.IsElement(key.Value) || key.Value.IsOne)
        {
            throw new VotingException("The election's joint key is not a valid group element.");
        }

        return new EncryptionContext(group, key.Value, Convert.FromHexString(election.HE), election.Manifest);
    }

    /// <summary>Null when parameters, manifest and H_P, H_M, H_B are as the specification computes them; else the first difference.</summary>
    public static string? CheckPublicPart(ElectionRecordJson election)
    {
        var group = ElectionGroup.Standard;
        if (election.Format == VerifiableFormats.ElectionV1)
        {
            return "the election uses the first verifiable format (two ciphertexts and three proofs per candidate), which this version no longer reads: run the election again with this version";
        }

        if (election.Format != VerifiableFormats.Election || election.Parameters is null || election.Manifest is null)
        {
            return "election.json is not a SafeWire verifiable election";
        }

        var parameters = election.Parameters;
        if (parameters.Version != BaseHashes.Version || parameters.P != ElectionGroup.ElementHex(group.P)
            || parameters.Q != ElectionGroup.ScalarHex(group.Q) || parameters.G != ElectionGroup.ElementHex(group.G))
        {
            return "the election does not use the standard ElectionGuard parameters (p, q, g, version)";
        }

        var hP = BaseHashes.Parameters(group);
        if (parameters.HP != Convert.ToHexString(hP))
        {
            return "the parameter hash H_P is wrong";
        }

        var manifest = election.Manifest;
        if (manifest.CandidateNames is null || manifest.CandidateNames.Count != manifest.Candidates || manifest.Candidates is < 1 or > MaxCandidates
            || manifest.MaxScore is < 1 or > Ballot.MaxScoreLimit || !Identifiers.IsValid(manifest.Name))
        {
            return "the manifest is malformed (candidates, names, max score or name)";
        }

        var hM = BaseHashes.Manifest(hP, manifest);
        if (election.HM != Convert.ToHexString(hM))
        {
            return "the manifest hash H_M is wrong";
        }

        if (election.Guardians < 1 || election.Guardians > KeyCeremony.MaxGuardians || election.Quorum < 1 || election.Quorum > election.Guardians)
        {
            return "the guardian count or quorum is invalid";
        }

        return election.HB != Convert.ToHexString(BaseHashes.Base(hP, hM, election.Guardians, election.Quorum)) ? "the base hash H_B is wrong" : null;
    }
}
