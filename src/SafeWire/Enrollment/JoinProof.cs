using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace SafeWire.Enrollment;

/// <summary>
/// How a joining client proves it holds a code's secret without sending it. The secret and the invitation id
/// determine a P-256 key pair (HKDF-SHA256 gives the private scalar); the server keeps only the public half
/// (a one-way image of the secret, useless for joining). The client signs, with the private half,
/// <c>"SafeWire join v1" | exporter | SPKI</c>: the channel's exporter value binds the proof to this one
/// connection (it cannot be replayed or relayed to another server), and the SPKI names the key to be certified.
/// </summary>
internal static class JoinProof
{
    /// <summary>The exporter label both sides use.</summary>
    public const string ExporterLabel = "EXPORTER-SafeWire join";

    /// <summary>Bytes of exporter output signed.</summary>
    public const int ExporterLength = 32;

    private static readonly byte[] s_context = Encoding.ASCII.GetBytes("SafeWire join v1");
    private static readonly BigInteger s_order = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The key pair a secret determines (the caller disposes it).</summary>
    public static ECDsa DeriveKey(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> invitationId)
    {
        var d = new byte[32];
        try
        {
            for (byte counter = 0; ; counter++)
            {
                var info = new byte[invitationId.Length + 1];
                invitationId.CopyTo(info);
                info[^1] = counter;
                HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, d, s_context, info);
                var value = new BigInteger(d, isUnsigned: true, isBigEndian: true);
                if (!value.IsZero && value < s_order)
                {
                    break;
                }
            }

            var key = ECDsa.Create();
            key.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    /// <summary>The public key (SPKI DER) the server stores for an invitation.</summary>
    public static byte[] Verifier(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> invitationId)
    {
        using var key = DeriveKey(secret, invitationId);
        return key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The client's proof for this channel and this key.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> invitationId, ReadOnlySpan<byte> exporter, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        using var key = DeriveKey(secret, invitationId);
        return key.SignData(Content(exporter, subjectPublicKeyInfo), HashAlgorithmName.SHA256);
    }

    /// <summary>True when <paramref name="proof"/> was made with the secret behind <paramref name="verifier"/> for this channel and key.</summary>
    public static bool Verify(ReadOnlySpan<byte> verifier, ReadOnlySpan<byte> exporter, ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> proof)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(verifier, out _);
            return key.VerifyData(Content(exporter, subjectPublicKeyInfo), proof, HashAlgorithmName.SHA256);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static byte[] Content(ReadOnlySpan<byte> exporter, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var content = new byte[s_context.Length + exporter.Length + subjectPublicKeyInfo.Length];
        s_context.CopyTo(content, 0);
        exporter.CopyTo(content.AsSpan(s_context.Length));
        subjectPublicKeyInfo.CopyTo(content.AsSpan(s_context.Length + exporter.Length));
        return content;
    }
}
