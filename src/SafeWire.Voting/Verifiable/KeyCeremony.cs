using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace SafeWire.Voting.Verifiable;

/// <summary>
/// The key ceremony of n guardians with quorum k: each guardian makes a random polynomial of degree k-1, publishes
/// commitments to its coefficients with Schnorr proofs, sends P_i(l) encrypted to every other guardian l, and checks
/// what it receives against the sender's commitments. The joint key is K = Π K_i,0; guardian l's share of the joint
/// secret is z_l = Σ_i P_i(l); any k shares decrypt by Lagrange interpolation.
/// </summary>
public static class KeyCeremony
{
    /// <summary>Most guardians an election may have.</summary>
    public const int MaxGuardians = 64;

    /// <summary>A new guardian: its secret (to keep) and its public key (to publish).</summary>
    public static (GuardianSecretJson Secret, GuardianPublicKeyJson Public) CreateGuardian(string election, int index, string name, int guardians, int quorum)
    {
        CheckSizes(guardians, quorum);
        if (index < 1 || index > guardians)
        {
            throw new VotingException($"Guardian index {index} is outside 1..{guardians}.");
        }

        var group = ElectionGroup.Standard;
        var hP = BaseHashes.Parameters(group);
        var coefficients = new BigInteger[quorum];
        var commitments = new string[quorum];
        var proofs = new ProofJson[quorum];
        for (var j = 0; j < quorum; j++)
        {
            coefficients[j] = group.RandomScalar();
            var commitment = group.GPow(coefficients[j]);
            commitments[j] = ElectionGroup.ElementHex(commitment);
            proofs[j] = ToJson(SchnorrProof.Prove(group, hP, CoefficientHeader(index, j), commitment, coefficients[j]));
        }

        var zeta = group.RandomScalar();
        var kappa = group.GPow(zeta);
        var secret = new GuardianSecretJson
        {
            Election = election,
            Index = index,
            Name = name,
            Guardians = guardians,
            Quorum = quorum,
            Coefficients = [.. coefficients.Select(ElectionGroup.ScalarHex)],
            CommunicationSecret = ElectionGroup.ScalarHex(zeta),
        };
        var publicKey = new GuardianPublicKeyJson
        {
            Election = election,
            Index = index,
            Name = name,
            Commitments = commitments,
            CoefficientProofs = proofs,
            CommunicationKey = ElectionGroup.ElementHex(kappa),
            CommunicationProof = ToJson(SchnorrProof.Prove(group, hP, CommunicationHeader(index), kappa, zeta)),
        };
        return (secret, publicKey);
    }

    /// <summary>Checks n and k: 1 ≤ k ≤ n ≤ <see cref="MaxGuardians"/>.</summary>
    public static void CheckSizes(int guardians, int quorum)
    {
        if (guardians < 1 || guardians > MaxGuardians || quorum < 1 || quorum > guardians)
        {
            throw new VotingException($"Need 1 ≤ quorum ≤ guardians ≤ {MaxGuardians} (got {guardians} guardians, quorum {quorum}).");
        }
    }

    /// <summary>Null when the guardian key is well formed for <paramref name="quorum"/> and all its proofs hold; else what is wrong.</summary>
    public static string? CheckPublicKey(GuardianPublicKeyJson key, string election, int quorum)
    {
        var group = ElectionGroup.Standard;
        var hP = BaseHashes.Parameters(group);
        var who = $"guardian {key.Index}";
        if (key.Election != election)
        {
            return $"{who}'s key is for election \"{key.Election}\", not \"{election}\"";
        }

        if (key.Commitments is null || key.CoefficientProofs is null || key.Commitments.Count != quorum || key.CoefficientProofs.Count != quorum)
        {
            return $"{who} must publish {quorum} commitments with {quorum} proofs";
        }

        for (var j = 0; j < quorum; j++)
        {
            var commitment = ElectionGroup.TryParseHex(key.Commitments[j], ElectionGroup.ElementSize * 2);
            var proof = FromJson(key.CoefficientProofs[j]);
            if (commitment is null || !group.IsElement(commitment.Value))
            {
                return $"{who}'s commitment {j} is not an element of the group";
            }

            if (proof is null || !SchnorrProof.Verify(group, hP, CoefficientHeader(key.Index, j), commitment.Value, proof.Value))
            {
                return $"{who}'s proof for commitment {j} fails";
            }
        }

        var kappa = ElectionGroup.TryParseHex(key.CommunicationKey, ElectionGroup.ElementSize * 2);
        var kappaProof = FromJson(key.CommunicationProof);
        if (kappa is null || !group.IsElement(kappa.Value) || kappaProof is null
            || !SchnorrProof.Verify(group, hP, CommunicationHeader(key.Index), kappa.Value, kappaProof.Value))
        {
            return $"{who}'s share-encryption key or its proof is invalid";
        }

        return null;
    }

    /// <summary>Checks a full set of guardian keys: indices exactly 1..n, each valid. Throws <see cref="VotingException"/>.</summary>
    public static IReadOnlyList<GuardianPublicKeyJson> CheckKeySet(IEnumerable<GuardianPublicKeyJson> keys, string election, int guardians, int quorum)
    {
        var sorted = keys.OrderBy(k => k.Index).ToList();
        if (sorted.Count != guardians || sorted.Select(k => k.Index).Where((index, i) => index != i + 1).Any())
        {
            throw new VotingException($"Expected the keys of guardians 1..{guardians}, got {(sorted.Count == 0 ? "none" : string.Join(", ", sorted.Select(k => k.Index)))}.");
        }

        foreach (var key in sorted)
        {
            if (CheckPublicKey(key, election, quorum) is { } problem)
            {
                throw new VotingException(problem + ".");
            }
        }

        return sorted;
    }

    /// <summary>P_from(to), encrypted to guardian <paramref name="to"/>'s share-encryption key.</summary>
    public static EncryptedShareJson EncryptShare(GuardianSecretJson from, GuardianPublicKeyJson to)
    {
        var group = ElectionGroup.Standard;
        var kappa = ParseElement(to.CommunicationKey);
        var share = Evaluate(group, from.Coefficients.Select(ParseScalar).ToList(), to.Index);
        var xi = group.RandomScalar();
        var alpha = group.GPow(xi);
        var beta = group.Pow(kappa, xi);
        var key = ShareKey(group, from.Index, to.Index, kappa, alpha, beta);
        var plain = ElectionGroup.ToBytes(share, ElectionGroup.ScalarSize);
        var sealedShare = new byte[plain.Length + 16];
        try
        {
            using var aes = new AesGcm(key, 16);
            aes.Encrypt(new byte[12], plain, sealedShare.AsSpan(0, plain.Length), sealedShare.AsSpan(plain.Length), ShareAad(from.Index, to.Index));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(plain);
        }

        return new EncryptedShareJson { Election = from.Election, From = from.Index, To = to.Index, Alpha = ElectionGroup.ElementHex(alpha), Sealed = Convert.ToBase64String(sealedShare) };
    }

    /// <summary>Opens a share sent to <paramref name="me"/> and checks it against the sender's commitments; throws <see cref="VotingException"/>.</summary>
    public static BigInteger OpenShare(GuardianSecretJson me, GuardianPublicKeyJson sender, EncryptedShareJson share)
    {
        var group = ElectionGroup.Standard;
        if (share.To != me.Index || share.From != sender.Index || share.Election != me.Election)
        {
            throw new VotingException($"The share from guardian {share.From} to {share.To} is not for guardian {me.Index} of election {me.Election}.");
        }

        var alpha = ElectionGroup.TryParseHex(share.Alpha, ElectionGroup.ElementSize * 2);
        byte[] sealedShare;
        try
        {
            sealedShare = Convert.FromBase64String(share.Sealed);
        }
        catch (FormatException)
        {
            sealedShare = [];
        }

        if (alpha is null || !group.IsElement(alpha.Value) || sealedShare.Length != ElectionGroup.ScalarSize + 16)
        {
            throw new VotingException($"The share from guardian {share.From} is malformed.");
        }

        var zeta = ParseScalar(me.CommunicationSecret);
        var kappa = group.GPow(zeta);
        var key = ShareKey(group, share.From, me.Index, kappa, alpha.Value, group.Pow(alpha.Value, zeta));
        var plain = new byte[ElectionGroup.ScalarSize];
        try
        {
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(new byte[12], sealedShare.AsSpan(0, plain.Length), sealedShare.AsSpan(plain.Length), plain, ShareAad(share.From, me.Index));
            var value = new BigInteger(plain, isUnsigned: true, isBigEndian: true);
            var commitments = sender.Commitments.Select(ParseElement).ToList();
            if (!group.IsScalar(value) || group.GPow(value) != PublicShare(group, [commitments], me.Index))
            {
                throw new VotingException($"The share from guardian {share.From} does not match its published commitments: guardian {share.From} must send a new one.");
            }

            return value;
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new VotingException($"The share from guardian {share.From} does not decrypt with guardian {me.Index}'s key (altered, or sent to another guardian).");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>g^(z_index) = Π_i Π_j K_i,j^(index^j): guardian index's public key share, computable by anyone.</summary>
    public static BigInteger PublicShare(ElectionGroup group, IEnumerable<IReadOnlyList<BigInteger>> commitments, int index)
    {
        var result = BigInteger.One;
        foreach (var guardian in commitments)
        {
            var power = BigInteger.One;
            foreach (var commitment in guardian)
            {
                result = group.Mul(result, group.Pow(commitment, power));
                power *= index;
            }
        }

        return result;
    }

    /// <summary>P(x) = Σ a_j x^j mod q.</summary>
    public static BigInteger Evaluate(ElectionGroup group, IReadOnlyList<BigInteger> coefficients, int x)
    {
        var result = BigInteger.Zero;
        for (var j = coefficients.Count - 1; j >= 0; j--)
        {
            result = group.ModQ((result * x) + coefficients[j]);
        }

        return result;
    }

    /// <summary>The Lagrange coefficient w_i = Π_(l≠i) l/(l−i) mod q over the indices <paramref name="present"/>.</summary>
    public static BigInteger Lagrange(ElectionGroup group, int i, IReadOnlyCollection<int> present)
    {
        BigInteger numerator = BigInteger.One, denominator = BigInteger.One;
        foreach (var l in present)
        {
            if (l != i)
            {
                numerator = group.ModQ(numerator * l);
                denominator = group.ModQ(denominator * (l - i));
            }
        }

        return group.ModQ(numerator * BigInteger.ModPow(denominator, group.Q - 2, group.Q));
    }

    internal static HashInput CoefficientHeader(int index, int j) => new HashInput(0x10).U32(index).U32(j);

    internal static HashInput CommunicationHeader(int index) => new HashInput(0x11).U32(index);

    internal static ProofJson ToJson(ProofPair proof) => new(ElectionGroup.ScalarHex(proof.Challenge), ElectionGroup.ScalarHex(proof.Response));

    internal static ProofPair? FromJson(ProofJson? proof)
    {
        var c = ElectionGroup.TryParseHex(proof?.Challenge, ElectionGroup.ScalarSize * 2);
        var v = ElectionGroup.TryParseHex(proof?.Response, ElectionGroup.ScalarSize * 2);
        return c is null || v is null ? null : new ProofPair(c.Value, v.Value);
    }

    internal static BigInteger ParseElement(string hex) =>
        ElectionGroup.TryParseHex(hex, ElectionGroup.ElementSize * 2) ?? throw new VotingException("A group element is not 1024 upper-case hex digits.");

    internal static BigInteger ParseScalar(string hex) =>
        ElectionGroup.TryParseHex(hex, ElectionGroup.ScalarSize * 2) ?? throw new VotingException("A scalar is not 64 upper-case hex digits.");

    /// <summary>Parses 1024 hex digits as an element; throws <see cref="VotingException"/>.</summary>
    public static BigInteger ParseElementPublic(string hex) => ParseElement(hex);

    /// <summary>Parses 64 hex digits as a scalar; throws <see cref="VotingException"/>.</summary>
    public static BigInteger ParseScalarPublic(string hex) => ParseScalar(hex);

    private static byte[] ShareKey(ElectionGroup group, int from, int to, BigInteger kappa, BigInteger alpha, BigInteger beta) =>
        new HashInput(0x13).U32(from).U32(to).Element(kappa).Element(alpha).Element(beta).Hash(BaseHashes.Parameters(group));

    private static byte[] ShareAad(int from, int to)
    {
        var aad = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(aad, from);
        BinaryPrimitives.WriteInt32BigEndian(aad.AsSpan(4), to);
        return aad;
    }
}
