using System.Numerics;

namespace SafeWire.Voting.Verifiable;

/// <summary>An exponential ElGamal ciphertext (α, β) = (g^ξ, K^(σ+ξ)) of the small integer σ under the joint key K.</summary>
public readonly record struct Ciphertext(BigInteger Alpha, BigInteger Beta)
{
    /// <summary>The componentwise product: an encryption of the sum.</summary>
    public Ciphertext Times(Ciphertext other, ElectionGroup group) => new(group.Mul(Alpha, other.Alpha), group.Mul(Beta, other.Beta));

    /// <summary>The encryption of 0 with nonce 0, the neutral element of <see cref="Times"/>.</summary>
    public static Ciphertext One => new(BigInteger.One, BigInteger.One);
}

/// <summary>One (challenge, response) pair of a proof; both are scalars mod q.</summary>
internal readonly record struct ProofPair(BigInteger Challenge, BigInteger Response);

/// <summary>
/// What encrypting and proving needs once the key ceremony is done: the group, the joint key K (with its
/// fixed-base table) and the extended base hash H_E that every ballot proof and code is bound to.
/// </summary>
public sealed class EncryptionContext
{
    /// <summary>Builds the context (and K's comb table, about 2,230 multiplications).</summary>
    public EncryptionContext(ElectionGroup group, BigInteger jointKey, byte[] extendedHash, VerifiableManifest manifest)
    {
        Group = group;
        JointKey = jointKey;
        KTable = new FixedBase(group, jointKey);
        ExtendedHash = extendedHash;
        Manifest = manifest;
    }

    /// <summary>The group.</summary>
    public ElectionGroup Group { get; }

    /// <summary>The joint election public key K.</summary>
    public BigInteger JointKey { get; }

    /// <summary>K's fixed-base table.</summary>
    internal FixedBase KTable { get; }

    /// <summary>H_E.</summary>
    public byte[] ExtendedHash { get; }

    /// <summary>Candidates, max score, names.</summary>
    public VerifiableManifest Manifest { get; }

    /// <summary>(g^ξ, K^(σ+ξ)).</summary>
    public Ciphertext Encrypt(long value, BigInteger nonce) =>
        new(Group.GPow(nonce), KTable.Pow(nonce + value));
}

/// <summary>
/// The disjunctive Chaum-Pedersen proof of the specification's range proof, over any list of allowed values
/// ℓ_0..ℓ_L: (α, β) encrypts one of them. For each j, a_j = g^(v_j)·α^(c_j) and b_j = K^(v_j − ℓ_j·c_j)·β^(c_j);
/// the challenge c = H(H_E; 21, candidate, K, α, β, a_0, b_0, …, a_L, b_L) must equal c_0 + … + c_L mod q.
/// A ballot's candidate uses ℓ = 0..max and the no-score value (<see cref="BallotEncryption.AllowedValues"/>).
/// </summary>
internal static class RangeProof
{
    /// <summary>
    /// Proves that <paramref name="ciphertext"/> (nonce <paramref name="nonce"/>) encrypts <paramref name="values"/>[<paramref name="index"/>].
    /// The prover needs only the fixed bases: a simulated branch j takes a_j = g^(u_j), b_j = K^(u_j + (ℓ − ℓ_j)·c_j).
    /// </summary>
    public static ProofPair[] Prove(EncryptionContext context, int candidate, Ciphertext ciphertext, BigInteger nonce, int index, IReadOnlyList<long> values)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(values);
        if (index < 0 || index >= values.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"{index} is not an index of the {values.Count} allowed values.");
        }

        var group = context.Group;
        var count = values.Count;
        var u = new BigInteger[count];
        var c = new BigInteger[count];
        var input = Header(context, candidate, ciphertext);
        var value = values[index];
        for (var j = 0; j < count; j++)
        {
            u[j] = group.RandomScalar();
            if (j == index)
            {
                input.Element(group.GPow(u[j])).Element(context.KTable.Pow(u[j]));
            }
            else
            {
                c[j] = group.RandomScalar();
                input.Element(group.GPow(u[j])).Element(context.KTable.Pow(u[j] + ((value - values[j]) * c[j])));
            }
        }

        var challenge = input.HashModQ(context.ExtendedHash, group);
        var rest = BigInteger.Zero;
        for (var j = 0; j < count; j++)
        {
            if (j != index)
            {
                rest += c[j];
            }
        }

        c[index] = group.ModQ(challenge - rest);
        var proof = new ProofPair[count];
        for (var j = 0; j < count; j++)
        {
            proof[j] = new ProofPair(c[j], group.ModQ(u[j] - (c[j] * nonce)));
        }

        return proof;
    }

    /// <summary>True when <paramref name="proof"/> shows <paramref name="ciphertext"/> encrypts one of <paramref name="values"/>.</summary>
    public static bool Verify(EncryptionContext context, int candidate, Ciphertext ciphertext, IReadOnlyList<ProofPair> proof, IReadOnlyList<long> values) =>
        Verify(context, candidate, ciphertext, proof, values, checkElements: false) == true;

    /// <summary>
    /// Null when α or β is not a group element; else whether <paramref name="proof"/> holds. The subgroup checks share
    /// their squarings with the tables for α^(c_j) and β^(c_j) (<see cref="ElectionGroup.PowManyOfElement"/>).
    /// </summary>
    internal static bool? VerifyWithElements(EncryptionContext context, int candidate, Ciphertext ciphertext, IReadOnlyList<ProofPair> proof, IReadOnlyList<long> values) =>
        Verify(context, candidate, ciphertext, proof, values, checkElements: true);

    private static bool? Verify(EncryptionContext context, int candidate, Ciphertext ciphertext, IReadOnlyList<ProofPair> proof, IReadOnlyList<long> values, bool checkElements)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(proof);
        ArgumentNullException.ThrowIfNull(values);
        var group = context.Group;
        if (proof.Count != values.Count || proof.Any(p => !group.IsScalar(p.Challenge) || !group.IsScalar(p.Response)))
        {
            return checkElements && !(group.IsElement(ciphertext.Alpha) && group.IsElement(ciphertext.Beta)) ? null : false;
        }

        // α and β are each raised to every c_j: one shared comb table per base.
        var challenges = proof.Select(p => p.Challenge).ToArray();
        var alphaPowers = checkElements ? group.PowManyOfElement(ciphertext.Alpha, challenges) : group.PowMany(ciphertext.Alpha, challenges);
        var betaPowers = alphaPowers is null ? null
            : checkElements ? group.PowManyOfElement(ciphertext.Beta, challenges) : group.PowMany(ciphertext.Beta, challenges);
        if (alphaPowers is null || betaPowers is null)
        {
            return null;
        }

        var input = Header(context, candidate, ciphertext);
        var sum = BigInteger.Zero;
        for (var j = 0; j < proof.Count; j++)
        {
            var (cj, vj) = proof[j];
            var a = group.Mul(group.GPow(vj), alphaPowers[j]);
            var b = group.Mul(context.KTable.Pow(vj - (values[j] * cj)), betaPowers[j]);
            input.Element(a).Element(b);
            sum += cj;
        }

        return group.ModQ(sum) == input.HashModQ(context.ExtendedHash, group);
    }

    private static HashInput Header(EncryptionContext context, int candidate, Ciphertext ciphertext) =>
        new HashInput(0x21).U32(candidate).Element(context.JointKey).Element(ciphertext.Alpha).Element(ciphertext.Beta);
}

/// <summary>
/// Schnorr proof of knowledge of a with K = g^a: h = g^u, c = H(H_P; domain, header…, K, h), v = u − c·a mod q;
/// verified by recomputing h = g^v·K^c.
/// </summary>
internal static class SchnorrProof
{
    /// <summary>Proves knowledge of <paramref name="secret"/> for <paramref name="publicValue"/> = g^secret.</summary>
    public static ProofPair Prove(ElectionGroup group, byte[] hP, HashInput header, BigInteger publicValue, BigInteger secret)
    {
        var u = group.RandomScalar();
        var c = header.Element(publicValue).Element(group.GPow(u)).HashModQ(hP, group);
        return new ProofPair(c, group.ModQ(u - c * secret));
    }

    /// <summary>True when <paramref name="proof"/> is a valid proof for <paramref name="publicValue"/>.</summary>
    public static bool Verify(ElectionGroup group, byte[] hP, HashInput header, BigInteger publicValue, ProofPair proof)
    {
        if (!group.IsScalar(proof.Challenge) || !group.IsScalar(proof.Response))
        {
            return false;
        }

        var h = group.Mul(group.GPow(proof.Response), group.Pow(publicValue, proof.Challenge));
        return header.Element(publicValue).Element(h).HashModQ(hP, group) == proof.Challenge;
    }
}

/// <summary>
/// Chaum-Pedersen proof that a partial decryption M = A^z uses the same z as the guardian's public share
/// K_i = g^z: a = g^u, b = A^u, c = H(H_E; 30, i, candidate, K_i, A, B, M, a, b), v = u − c·z mod q.
/// </summary>
internal static class DecryptionProof
{
    /// <summary>Proves M = A^z for the guardian's share z.</summary>
    public static ProofPair Prove(EncryptionContext context, int guardian, int candidate, BigInteger publicShare, Ciphertext ciphertext, BigInteger partial, BigInteger share)
    {
        var group = context.Group;
        var u = group.RandomScalar();
        var c = Header(context, guardian, candidate, publicShare, ciphertext, partial)
            .Element(group.GPow(u)).Element(group.Pow(ciphertext.Alpha, u)).HashModQ(context.ExtendedHash, group);
        return new ProofPair(c, group.ModQ(u - c * share));
    }

    /// <summary>True when <paramref name="proof"/> shows <paramref name="partial"/> = A^z with g^z = <paramref name="publicShare"/>.</summary>
    public static bool Verify(EncryptionContext context, int guardian, int candidate, BigInteger publicShare, Ciphertext ciphertext, BigInteger partial, ProofPair proof)
    {
        var group = context.Group;
        if (!group.IsScalar(proof.Challenge) || !group.IsScalar(proof.Response))
        {
            return false;
        }

        var a = group.Mul(group.GPow(proof.Response), group.Pow(publicShare, proof.Challenge));
        var b = group.Mul(group.Pow(ciphertext.Alpha, proof.Response), group.Pow(partial, proof.Challenge));
        return Header(context, guardian, candidate, publicShare, ciphertext, partial).Element(a).Element(b)
            .HashModQ(context.ExtendedHash, group) == proof.Challenge;
    }

    private static HashInput Header(EncryptionContext context, int guardian, int candidate, BigInteger publicShare, Ciphertext ciphertext, BigInteger partial) =>
        new HashInput(0x30).U32(guardian).U32(candidate).Element(publicShare)
            .Element(ciphertext.Alpha).Element(ciphertext.Beta).Element(partial);
}
