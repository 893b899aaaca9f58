using System.Numerics;
using System.Text;
using SafeWire.Voting.Verifiable;

namespace SafeWire.Voting.Tests.Verifiable;

/// <summary>
/// Known answers for the group, the hashes and the proofs: the specification's own relations between p, q and g, and
/// sample data published with the ElectionGuard reference implementation (electionguard-rust, its v2.0 data
/// format document: parameter hash, guardian 1's first secret coefficient, its commitment and its Schnorr proof).
/// </summary>
public sealed class GroupKnownAnswerTests
{
    private const string SampleCoefficient = "77BF6C0EFD0689F8E7BDF91E30C969036993159711567FE7FD59794A860F06E3";
    private const string SampleCommitment = "C2A7DFAAE02425A7F3E50AC8691393C74BC6F2E21E6B25955A1DBAED2E9D14D23E83D989B0D529BB675207D90F7C025DC068D418DACBDCC086234B87E8235ECE4A6482DD938EC824CDFCE12345C586685DB70595BD10951FE24774B3DD52637EBDBF25C694F73163F37B7F64CA3E6FD63404BFD1FB1C9AEA4573F36C9B43467EFF789021BA6DC7A43EE6D5E8EFF9CFC70BC18D0CBA8A712439E386C6C23BE6CFAD579E7BB8A087DA77CF4C938E8765C5A0B0E564065DB2701D785183A549B821687E87D46CE635AC8B9F7E8AC0CA1E3BB5268FA39B9C92ED7D30882E1DC7F734FED73D3CB7522D242BE185965E87FD302FB1A809394376B6E8A219E8B960328C4B6BEC1F42183038FE9B95DB8A9803FBD8DCE345A79E811D49921B9D908A958F1DCB5DB10AE9D26552896346726626BE600AF7318397256477E9CE020534931A2AA26DD0A8ACD4A2597F4D0BA24F8378A6C9EC6EC7A0E11412228C8415CF1805133C17157555465641F58AAFB8E2AD8FD1718500B27FE4DEF5C46F99FFFF982F88EC4229FCD347E746317DCEDCD60B7B9C54FBBA3847707A80EEB71AB1F2558D9C09E8A5A25981363F8F59CECBCDA7AAF1666E4B37A041D5A95B6FA5046808F99C09E3894779A3E8ABED23B4F14FFEF6B929D9C8F06A39E5C94F1C2BD2DCAF5ED6E5D30C6DED9BFB83721A69E253FA8FA067D18F923D0B07AE5ADF1D71A4EE5C";
    private const string SampleChallenge = "6914FEAD42C83624679EDD7EEDAFA0C08A5998E9FD288D76FD0050DF78C2658D";
    private const string SampleResponse = "73B968813B6C24EBB226A73987FA59A78BF852F38DDF6BC951CA611D8AF7BCE4";

    internal static readonly ElectionGroup Group = ElectionGroup.Standard;

    [Fact]
    public void The_standard_parameters_have_the_sizes_and_relations_the_specification_states()
    {
        Assert.Equal(4096, Group.P.GetBitLength());
        Assert.Equal(BigInteger.Pow(2, 256) - 189, Group.Q);
        // p = 2^4096 - 1 with its top and bottom 256 bits set; q divides p - 1; g generates the order-q subgroup.
        Assert.Equal(BigInteger.Pow(2, 256) - 1, Group.P >> (4096 - 256));
        Assert.Equal(BigInteger.Pow(2, 256) - 1, Group.P & (BigInteger.Pow(2, 256) - 1));
        Assert.Equal(BigInteger.Zero, (Group.P - 1) % Group.Q);
        Assert.Equal(BigInteger.One, BigInteger.ModPow(Group.G, Group.Q, Group.P));
        Assert.NotEqual(BigInteger.One, Group.G);
        Assert.True(Group.IsElement(Group.G));
        Assert.False(Group.IsElement(Group.P - 1)); // order 2, not in the subgroup
        Assert.False(Group.IsElement(BigInteger.Zero));
        Assert.False(Group.IsElement(Group.P));
        // Both primes pass a Fermat test to many bases (the specification states they are prime).
        foreach (var b in new BigInteger[] { 2, 3, 5, 7, 11, 13 })
        {
            Assert.Equal(BigInteger.One, BigInteger.ModPow(b, Group.Q - 1, Group.Q));
            Assert.Equal(BigInteger.One, BigInteger.ModPow(b, Group.P - 1, Group.P));
        }
    }

    [Fact]
    public void The_parameter_hash_matches_the_reference_implementations_published_values()
    {
        // H_P = H(ver; 00, p, q, g) with ver = "v2.0.0" padded to 32 bytes (data format document) ...
        Assert.Equal("2B3B025E50E09C119CBA7E9448ACD1CABC9447EF39BF06327D81C665CDD86296", Convert.ToHexString(BaseHashes.Parameters(Group)));
        // ... and with "2.0.0", the value its unit test expects.
        var key = new byte[32];
        Encoding.ASCII.GetBytes("2.0.0").CopyTo(key, 0);
        var hash = new HashInput(0x00).Element(Group.P).Scalar(Group.Q).Element(Group.G).Hash(key);
        Assert.Equal("BAD5EEBFE2C98C9031BA8C36E7E4FB76DAC20665FD3621DF33F3F666BEC9AC0D", Convert.ToHexString(hash));
    }

    [Fact]
    public void The_sample_guardians_commitment_and_Schnorr_proof_are_reproduced()
    {
        var coefficient = ElectionGroup.TryParseHex(SampleCoefficient, 64)!.Value;
        var commitment = Group.GPow(coefficient);
        Assert.Equal(SampleCommitment, ElectionGroup.ElementHex(commitment));
        Assert.Equal(commitment, BigInteger.ModPow(Group.G, coefficient, Group.P)); // table = plain exponentiation

        var proof = new ProofPair(ElectionGroup.TryParseHex(SampleChallenge, 64)!.Value, ElectionGroup.TryParseHex(SampleResponse, 64)!.Value);
        var hP = BaseHashes.Parameters(Group);
        Assert.True(SchnorrProof.Verify(Group, hP, KeyCeremony.CoefficientHeader(1, 0), commitment, proof));
        Assert.False(SchnorrProof.Verify(Group, hP, KeyCeremony.CoefficientHeader(2, 0), commitment, proof));
        Assert.False(SchnorrProof.Verify(Group, hP, KeyCeremony.CoefficientHeader(1, 0), commitment, proof with { Response = proof.Response + 1 }));
    }

    [Fact]
    public void Fixed_base_tables_agree_with_plain_exponentiation()
    {
        var key = Group.GPow(12345);
        var table = new FixedBase(Group, key);
        foreach (var e in new[] { BigInteger.Zero, BigInteger.One, new BigInteger(63), new BigInteger(64), Group.Q - 1, Group.Q, Group.Q + 5, BigInteger.Pow(2, 255) + 77 })
        {
            Assert.Equal(BigInteger.ModPow(key, e % Group.Q, Group.P), table.Pow(e));
        }

        BigInteger[] exponents = [BigInteger.Zero, BigInteger.One, new BigInteger(63), Group.Q - 1, Group.Q + 5, BigInteger.Pow(2, 255) + 77, Group.RandomScalar(), Group.RandomScalar()];
        Assert.Equal(exponents.Select(e => BigInteger.ModPow(key, e % Group.Q, Group.P)), Group.PowMany(key, exponents));
        Assert.Equal(exponents.Select(e => BigInteger.ModPow(key, e % Group.Q, Group.P)), Group.PowManyOfElement(key, exponents));
    }

    [Fact]
    public void The_subgroup_check_is_exactly_x_to_the_q_equals_one()
    {
        // Outside the subgroup: order 2 (p − 1), an element times −1 (order 2q), a small integer, 0, p; inside: g^e, 1.
        var element = Group.GPow(Group.RandomScalar());
        BigInteger[] outside = [Group.P - 1, Group.P - element, 2, 3, BigInteger.Zero, Group.P, Group.P + element, BigInteger.MinusOne];
        BigInteger[] inside = [element, BigInteger.One, Group.G, Group.GPow(Group.Q - 1)];
        foreach (var x in outside.Concat(inside))
        {
            var expected = x.Sign > 0 && x < Group.P && BigInteger.ModPow(x, Group.Q, Group.P).IsOne;
            Assert.Equal(expected, Group.IsElement(x));
            Assert.Equal(expected, Group.PowManyOfElement(x, [BigInteger.One, 5, Group.Q - 1]) is not null);
        }

        Assert.All(inside, x => Assert.True(Group.IsElement(x)));
        Assert.All(outside, x => Assert.False(Group.IsElement(x)));
    }

    [Fact]
    public void Hash_inputs_are_encoded_as_the_record_documents()
    {
        var bytes = new HashInput(0x21).U32(3).Byte(2).Text("Ab").Scalar(5).ToArray();
        Assert.Equal("21" + "00000003" + "02" + "00000002" + "4162" + new string('0', 62) + "05", Convert.ToHexString(bytes));
        Assert.Equal(513, new HashInput(0).Element(Group.G).ToArray().Length);
    }

    [Fact]
    public void Lagrange_coefficients_interpolate_the_constant_term_from_any_quorum()
    {
        BigInteger[] coefficients = [Group.RandomScalar(), Group.RandomScalar(), Group.RandomScalar()];
        foreach (var present in new[] { new[] { 1, 2, 3 }, [2, 4, 5], [1, 3, 5] })
        {
            var secret = present.Aggregate(BigInteger.Zero, (sum, i) => Group.ModQ(sum + (KeyCeremony.Lagrange(Group, i, present) * KeyCeremony.Evaluate(Group, coefficients, i))));
            Assert.Equal(coefficients[0], secret);
        }
    }
}
