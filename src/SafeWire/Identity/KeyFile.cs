using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Identity;

/// <summary>What a key file (or the key in a certificate) is: shown by <c>safewire keys show</c>.</summary>
/// <param name="Algorithm">"ECDSA P-256", "RSA", ...</param>
/// <param name="KeySize">Bits: 256 for P-256, the modulus size for RSA.</param>
/// <param name="Fingerprint"><c>SHA256:…</c> of the SubjectPublicKeyInfo.</param>
/// <param name="SubjectPublicKeyInfo">The public key, DER.</param>
/// <param name="Content">"private key", "encrypted private key", "public key" or "certificate".</param>
internal sealed record KeyDescription(string Algorithm, int KeySize, string Fingerprint, byte[] SubjectPublicKeyInfo, string Content);

/// <summary>
/// Key pairs as files: PKCS#8 PEM private keys (optionally PBES2 / AES-256-CBC / PBKDF2-SHA256 encrypted),
/// SubjectPublicKeyInfo PEM public keys. Private key files are created 0600 and written atomically.
/// Also reads what openssl writes: SEC1 "EC PRIVATE KEY" and PKCS#1 "RSA PRIVATE KEY".
/// </summary>
public static class KeyFile
{
    /// <summary>PBKDF2 iterations for encrypted keys (SHA-256; above OWASP's 2023 floor for PBKDF2-SHA256 at 1/3 of its recommendation, to keep CLI start-up quick).</summary>
    internal const int Pbkdf2Iterations = 200_000;

    private const string OidEcPublicKey = "1.2.840.10045.2.1";
    private const string OidRsa = "1.2.840.113549.1.1.1";
    private const string OidP256 = "1.2.840.10045.3.1.7";
    private const string OidP384 = "1.3.132.0.34";
    private const string OidP521 = "1.3.132.0.35";

    private static readonly Dictionary<string, string> s_unsupported = new(StringComparer.Ordinal)
    {
        ["1.3.101.112"] = "Ed25519",
        ["1.3.101.113"] = "Ed448",
        ["1.3.101.110"] = "X25519",
        ["1.3.101.111"] = "X448",
        ["1.2.840.10040.4.1"] = "DSA",
        ["1.2.840.113549.1.1.10"] = "RSA-PSS",
    };

    /// <summary>Generates a new key pair of <paramref name="algorithm"/> (the caller owns and disposes it).</summary>
    public static AsymmetricAlgorithm Generate(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        KeyAlgorithm.Rsa3072 => RSA.Create(3072),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown key algorithm."),
    };

    /// <summary>Writes a private key as PKCS#8 PEM, mode 0600; encrypted when <paramref name="password"/> is not empty.</summary>
    public static void WritePrivateKey(string path, AsymmetricAlgorithm key, ReadOnlySpan<char> password = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[]? der = null;
        byte[]? pem = null;
        try
        {
            if (password.IsEmpty)
            {
                der = key.ExportPkcs8PrivateKey();
                pem = PemFile.Encode("PRIVATE KEY", der);
            }
            else
            {
                var pbe = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Pbkdf2Iterations);
                der = key.ExportEncryptedPkcs8PrivateKey(password, pbe);
                pem = PemFile.Encode("ENCRYPTED PRIVATE KEY", der);
            }

            SecureFile.Write(path, pem, secret: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
            CryptographicOperations.ZeroMemory(pem);
        }
    }

    /// <summary>Writes a public key as SubjectPublicKeyInfo PEM ("PUBLIC KEY").</summary>
    public static void WritePublicKey(string path, AsymmetricAlgorithm key)
    {
        ArgumentNullException.ThrowIfNull(key);
        SecureFile.Write(path, PemFile.Encode("PUBLIC KEY", key.ExportSubjectPublicKeyInfo()), secret: false);
    }

    /// <summary>Reads a private key: an <see cref="ECDsa"/> or an <see cref="RSA"/>. Encrypted keys need the password.</summary>
    public static AsymmetricAlgorithm ReadPrivateKey(string path, ReadOnlySpan<char> password = default)
    {
        var blocks = PemFile.ReadBlocks(path, "private key");
        try
        {
            foreach (var block in blocks)
            {
                switch (block.Label)
                {
                    case "EC PARAMETERS":
                        continue; // openssl ecparam -genkey writes these before the key
                    case "PRIVATE KEY":
                        return ImportPkcs8(path, block.Der);
                    case "ENCRYPTED PRIVATE KEY":
                        return ImportEncryptedPkcs8(path, block.Der, password);
                    case "EC PRIVATE KEY":
                        return Import(path, ECDsa.Create(), (k, d) => k.ImportECPrivateKey(d, out _), block.Der);
                    case "RSA PRIVATE KEY":
                        return Import(path, RSA.Create(), (k, d) => k.ImportRSAPrivateKey(d, out _), block.Der);
                    case "CERTIFICATE":
                        throw new IdentityFileException(IdentityFileError.WrongContent, path, $"{path}: holds a certificate, not a private key");
                    case "PUBLIC KEY":
                        throw new IdentityFileException(IdentityFileError.WrongContent, path, $"{path}: holds a public key, not a private key");
                    default:
                        throw new IdentityFileException(IdentityFileError.WrongContent, path, $"{path}: holds a \"{block.Label}\", not a private key");
                }
            }

            throw new IdentityFileException(IdentityFileError.WrongContent, path, $"{path}: holds no private key");
        }
        finally
        {
            foreach (var block in blocks)
            {
                CryptographicOperations.ZeroMemory(block.Der);
            }
        }
    }

    /// <summary>
    /// Describes whatever key-bearing file this is: a private key (encrypted ones need the password),
    /// a public key, or a certificate (its public key).
    /// </summary>
    internal static KeyDescription Describe(string path, ReadOnlySpan<char> password = default)
    {
        var blocks = PemFile.ReadBlocks(path, "key");
        var first = blocks.FirstOrDefault(b => b.Label != "EC PARAMETERS");
        foreach (var block in blocks.Where(b => b.Label.EndsWith("PRIVATE KEY", StringComparison.Ordinal)))
        {
            CryptographicOperations.ZeroMemory(block.Der); // re-read below by ReadPrivateKey
        }

        switch (first.Label)
        {
            case "PUBLIC KEY":
                return Describe(path, first.Der, "public key");
            case "RSA PUBLIC KEY":
                return Describe(path, RsaPublicKeyToSpki(path, first.Der), "public key");
            case "CERTIFICATE":
                using (var certificate = CertificateFile.Read(path))
                {
                    return Describe(path, certificate.PublicKey.ExportSubjectPublicKeyInfo(), "certificate");
                }

            case "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY" or "EC PRIVATE KEY" or "RSA PRIVATE KEY":
                using (var key = ReadPrivateKey(path, password))
                {
                    return Describe(path, key.ExportSubjectPublicKeyInfo(), first.Label == "ENCRYPTED PRIVATE KEY" ? "encrypted private key" : "private key");
                }

            default:
                throw new IdentityFileException(IdentityFileError.WrongContent, path, $"{path}: holds a \"{first.Label}\", not a key or certificate");
        }
    }

    /// <summary>A PKCS#1 RSAPublicKey ("RSA PUBLIC KEY", as <c>ssh-keygen -e -m PEM</c> writes it) as SubjectPublicKeyInfo DER.</summary>
    internal static byte[] RsaPublicKeyToSpki(string source, byte[] pkcs1)
    {
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportRSAPublicKey(pkcs1, out var read);
            if (read != pkcs1.Length)
            {
                throw new IdentityFileException(IdentityFileError.Corrupt, source, $"{source}: trailing bytes after the RSA public key");
            }
        }
        catch (CryptographicException e)
        {
            throw new IdentityFileException(IdentityFileError.Corrupt, source, $"{source}: not a valid RSA public key ({e.Message})");
        }

        return rsa.ExportSubjectPublicKeyInfo();
    }

    /// <summary>Reads the public key (SPKI DER) from a public key, private key or certificate file.</summary>
    public static byte[] ReadSubjectPublicKeyInfo(string path, ReadOnlySpan<char> password = default) =>
        Describe(path, password).SubjectPublicKeyInfo;

    /// <summary>Algorithm, size and fingerprint of an SPKI; throws UnsupportedAlgorithm for anything but ECDSA and RSA.</summary>
    internal static KeyDescription Describe(string path, byte[] subjectPublicKeyInfo, string content)
    {
        var (oid, curve) = ReadAlgorithm(path, subjectPublicKeyInfo, isPrivate: false);
        string algorithm;
        int size;
        switch (oid)
        {
            case OidEcPublicKey:
                (algorithm, size) = curve switch
                {
                    OidP256 => ("ECDSA P-256", 256),
                    OidP384 => ("ECDSA P-384", 384),
                    OidP521 => ("ECDSA P-521", 521),
                    _ => throw Unsupported(path, "ECDSA on curve " + curve),
                };
                break;
            case OidRsa:
                using (var rsa = RSA.Create())
                {
                    rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                    (algorithm, size) = ("RSA", rsa.KeySize);
                }

                break;
            default:
                throw Unsupported(path, s_unsupported.GetValueOrDefault(oid, "OID " + oid));
        }

        return new KeyDescription(algorithm, size, Fingerprint.Of(subjectPublicKeyInfo), subjectPublicKeyInfo, content);
    }

    /// <summary>Checks that an SPKI is ECDSA (P-256/384/521) or RSA; returns the description.</summary>
    internal static KeyDescription CheckSupported(byte[] subjectPublicKeyInfo, string what) => Describe(what, subjectPublicKeyInfo, "public key");

    private static AsymmetricAlgorithm ImportPkcs8(string path, byte[] der)
    {
        var (oid, _) = ReadAlgorithm(path, der, isPrivate: true);
        return oid switch
        {
            OidEcPublicKey => Import(path, ECDsa.Create(), (k, d) => k.ImportPkcs8PrivateKey(d, out _), der),
            OidRsa => Import(path, RSA.Create(), (k, d) => k.ImportPkcs8PrivateKey(d, out _), der),
            _ => throw Unsupported(path, s_unsupported.GetValueOrDefault(oid, "OID " + oid)),
        };
    }

    private static AsymmetricAlgorithm ImportEncryptedPkcs8(string path, byte[] der, ReadOnlySpan<char> password)
    {
        if (password.IsEmpty)
        {
            throw new IdentityFileException(IdentityFileError.PasswordRequired, path, $"{path}: the private key is encrypted; give its password (--password-file FILE or --ask-password)");
        }

        // The algorithm OID is inside the encrypted blob: try the two SafeWire supports.
        var ec = ECDsa.Create();
        try
        {
            ec.ImportEncryptedPkcs8PrivateKey(password, der, out _);
            return ec;
        }
        catch (Exception e) when (e is CryptographicException or NotSupportedException)
        {
            ec.Dispose();
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportEncryptedPkcs8PrivateKey(password, der, out _);
            return rsa;
        }
        catch (Exception e) when (e is CryptographicException or NotSupportedException)
        {
            rsa.Dispose();
            throw new IdentityFileException(IdentityFileError.WrongPassword, path, $"{path}: wrong password (the private key could not be decrypted)", e);
        }
    }

    private static T Import<T>(string path, T key, Action<T, byte[]> import, byte[] der)
        where T : AsymmetricAlgorithm
    {
        try
        {
            import(key, der);
            return key;
        }
        catch (Exception e) when (e is CryptographicException or NotSupportedException)
        {
            // An unknown or corrupted EC curve is PlatformNotSupportedException (a NotSupportedException) on Linux.
            key.Dispose();
            throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}: the private key is corrupt ({e.Message.TrimEnd('.')})", e);
        }
    }

    /// <summary>The key algorithm OID (and EC curve OID) of a PKCS#8 PrivateKeyInfo or an SPKI.</summary>
    private static (string Oid, string? Curve) ReadAlgorithm(string path, byte[] der, bool isPrivate)
    {
        try
        {
            // PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm AlgorithmIdentifier, ... }
            // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
            var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            if (isPrivate)
            {
                outer.ReadInteger();
            }

            var algorithm = outer.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            string? curve = null;
            if (oid == OidEcPublicKey && algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
            {
                curve = algorithm.ReadObjectIdentifier();
            }

            return (oid, curve);
        }
        catch (AsnContentException e)
        {
            throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}: the {(isPrivate ? "private" : "public")} key is corrupt (bad DER)", e);
        }
    }

    private static IdentityFileException Unsupported(string path, string algorithm) =>
        new(IdentityFileError.UnsupportedAlgorithm, path, $"{path}: unsupported key algorithm {algorithm} (SafeWire uses ECDSA P-256 or RSA)");

    /// <summary>A short name for a key object: "ECDSA P-256" or "RSA-3072".</summary>
    public static string NameOf(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => ec.KeySize switch { 256 => "ECDSA P-256", 384 => "ECDSA P-384", 521 => "ECDSA P-521", var n => "ECDSA-" + n },
        RSA rsa => "RSA-" + rsa.KeySize,
        _ => key.GetType().Name,
    };

    /// <summary>The key's signature generator, for signing certificates and CRLs.</summary>
    internal static X509SignatureGenerator SignatureGenerator(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("Only ECDSA and RSA keys can sign.", nameof(key)),
    };
}
