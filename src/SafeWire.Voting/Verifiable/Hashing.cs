using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace SafeWire.Voting.Verifiable;

/// <summary>
/// The specification's hash H(key; parts) = HMAC-SHA-256(key, parts concatenated): one domain byte first, then
/// elements as 512 bytes, scalars and hashes as 32 bytes, counts as 4-byte big-endian integers and text as a
/// 4-byte big-endian length followed by its UTF-8 bytes (docs/VOTING-RECORD.md lists every use).
/// </summary>
internal sealed class HashInput
{
    private readonly ArrayBufferWriter<byte> _bytes = new(2048);

    /// <summary>Starts the input with its domain separator byte.</summary>
    public HashInput(byte domain)
    {
        _bytes.Write([domain]);
    }

    /// <summary>Appends one byte.</summary>
    public HashInput Byte(byte value)
    {
        _bytes.Write([value]);
        return this;
    }

    /// <summary>Appends a 4-byte big-endian integer.</summary>
    public HashInput U32(int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, checked((uint)value));
        _bytes.Write(bytes);
        return this;
    }

    /// <summary>Appends an element of Z_p as 512 bytes.</summary>
    public HashInput Element(BigInteger value)
    {
        _bytes.Write(ElectionGroup.ToBytes(value, ElectionGroup.ElementSize));
        return this;
    }

    /// <summary>Appends a scalar of Z_q as 32 bytes.</summary>
    public HashInput Scalar(BigInteger value)
    {
        _bytes.Write(ElectionGroup.ToBytes(value, ElectionGroup.ScalarSize));
        return this;
    }

    /// <summary>Appends raw bytes (hash values, nonces) as they are.</summary>
    public HashInput Raw(ReadOnlySpan<byte> value)
    {
        _bytes.Write(value);
        return this;
    }

    /// <summary>Appends text as a 4-byte length and its UTF-8 bytes.</summary>
    public HashInput Text(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        U32(bytes.Length);
        _bytes.Write(bytes);
        return this;
    }

    /// <summary>The bytes appended so far.</summary>
    public byte[] ToArray() => _bytes.WrittenSpan.ToArray();

    /// <summary>H(key; this input): 32 bytes.</summary>
    public byte[] Hash(ReadOnlySpan<byte> key) => HMACSHA256.HashData(key, _bytes.WrittenSpan);

    /// <summary>H(key; this input) read as a big-endian integer, reduced mod q (a challenge).</summary>
    public BigInteger HashModQ(ReadOnlySpan<byte> key, ElectionGroup group) =>
        group.ModQ(new BigInteger(Hash(key), isUnsigned: true, isBigEndian: true));
}

/// <summary>The election's chain of base hashes: H_P (parameters), H_M (manifest), H_B (base), H_E (extended, with the key).</summary>
internal static class BaseHashes
{
    /// <summary>The specification version string hashed into H_P, padded with zero bytes to 32.</summary>
    public const string Version = "v2.0.0";

    /// <summary>H_P = H(ver; 00, p, q, g).</summary>
    public static byte[] Parameters(ElectionGroup group)
    {
        var key = new byte[32];
        Encoding.ASCII.GetBytes(Version).CopyTo(key, 0);
        return new HashInput(0x00).Element(group.P).Scalar(group.Q).Element(group.G).Hash(key);
    }

    /// <summary>H_M = H(H_P; 01, name, candidates, max score, candidate names).</summary>
    public static byte[] Manifest(byte[] hP, VerifiableManifest manifest)
    {
        var input = new HashInput(0x01).Text(manifest.Name).U32(manifest.Candidates).U32(manifest.MaxScore);
        foreach (var name in manifest.CandidateNames)
        {
            input.Text(name);
        }

        return input.Hash(hP);
    }

    /// <summary>H_B = H(H_P; 02, H_M, n, k).</summary>
    public static byte[] Base(byte[] hP, byte[] hM, int guardians, int quorum) =>
        new HashInput(0x02).Raw(hM).U32(guardians).U32(quorum).Hash(hP);

    /// <summary>H_E = H(H_B; 12, K, K_1,0 ... K_n,k-1).</summary>
    public static byte[] Extended(byte[] hB, BigInteger jointKey, IEnumerable<IReadOnlyList<BigInteger>> commitments)
    {
        var input = new HashInput(0x12).Element(jointKey);
        foreach (var guardian in commitments)
        {
            foreach (var commitment in guardian)
            {
                input.Element(commitment);
            }
        }

        return input.Hash(hB);
    }
}
