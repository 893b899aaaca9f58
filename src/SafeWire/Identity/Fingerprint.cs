using System.Security.Cryptography;

namespace SafeWire.Identity;

/// <summary>Key fingerprints: SHA-256 of the SubjectPublicKeyInfo DER, printed the OpenSSH way.</summary>
public static class Fingerprint
{
    /// <summary>The prefix of every fingerprint string (<c>SHA256:</c>).</summary>
    public const string Prefix = "SHA256:";

    /// <summary><c>SHA256:</c> followed by unpadded base64 of SHA-256(SPKI DER), as OpenSSH prints it.</summary>
    public static string Of(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(subjectPublicKeyInfo, hash);
        return Prefix + Convert.ToBase64String(hash).TrimEnd('=');
    }
}
