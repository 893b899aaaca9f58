using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Protocol.Messages;

namespace SafeWire.Protocol.Handshake;

/// <summary>
/// Process-wide caches for the handshake's fast path, keyed by the exact bytes the peer sent, so a cached entry
/// is only ever reused for identical input: parsed certificate chains (parsing X.509 costs more than the
/// trust checks after it), and imported verification keys (importing a P-256 key re-validates the point, a
/// full scalar multiplication). The trust policy still runs on every handshake; only pure functions of the
/// bytes are cached. Bounded: when full, a cache starts over.
/// </summary>
internal static class PeerKeyCache
{
    private const int MaxEntries = 256;
    private const int MaxPooledKeysPerEntry = 8;

    private static readonly ConcurrentDictionary<string, PeerCredential> s_chains = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, ConcurrentBag<AsymmetricAlgorithm>> s_keys = new(StringComparer.Ordinal);

    /// <summary>The credential for a Certificate message's chain (parsed once per distinct chain).</summary>
    public static PeerCredential Chain(byte[][] entries)
    {
        var key = ChainKey(entries);
        if (s_chains.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var credential = PeerCredential.FromCertificateChain(entries);
        if (s_chains.Count >= MaxEntries)
        {
            s_chains.Clear();
        }

        s_chains[key] = credential;
        return credential;
    }

    /// <summary>
    /// True when <paramref name="spki"/> is a key a handshake may be signed with: ECDSA on P-256 (a valid point) or
    /// RSA of at least 2048 bits. Anything else (another curve, a corrupted algorithm or curve OID, a certificate
    /// where a bare key belongs, trailing bytes) is false. The imported key is pooled for <see cref="Verify"/>.
    /// </summary>
    public static bool IsAcceptableKey(byte[] spki)
    {
        var pool = s_keys.GetOrAdd(PoolKey(spki), static _ => []);
        if (pool.TryTake(out var key))
        {
            Return(pool, key);
            return true;
        }

        key = Import(spki);
        if (key is null)
        {
            s_keys.TryRemove(PoolKey(spki), out _);
            return false;
        }

        Return(pool, key);
        return true;
    }

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="content"/> with the key in <paramref name="spki"/>.
    /// Keys are imported once and pooled (an instance is used by one thread at a time). False for a key that is
    /// malformed, of the wrong type or size for the scheme, or a signature that does not verify.
    /// </summary>
    public static bool Verify(SignatureScheme scheme, byte[] spki, byte[] signature, byte[] content)
    {
        if (scheme is not (SignatureScheme.EcdsaSecp256r1Sha256 or SignatureScheme.RsaPssRsaeSha256))
        {
            return false;
        }

        var cacheKey = PoolKey(spki);
        var pool = s_keys.GetOrAdd(cacheKey, static _ => []);
        if (!pool.TryTake(out var key))
        {
            key = Import(spki);
            if (key is null)
            {
                s_keys.TryRemove(cacheKey, out _);
                return false;
            }
        }

        try
        {
            // RSASSA-PSS as TLS 1.3's rsa_pss_rsae_sha256: SHA-256, MGF1 with SHA-256, salt length 32 (the hash length).
            return (key, scheme) switch
            {
                (ECDsa ecdsa, SignatureScheme.EcdsaSecp256r1Sha256) => ecdsa.VerifyData(content, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
                (RSA rsa, SignatureScheme.RsaPssRsaeSha256) => rsa.VerifyData(content, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            Return(pool, key);
        }
    }

    private static void Return(ConcurrentBag<AsymmetricAlgorithm> pool, AsymmetricAlgorithm key)
    {
        if (pool.Count < MaxPooledKeysPerEntry && s_keys.Count < MaxEntries)
        {
            pool.Add(key);
        }
        else
        {
            key.Dispose();
        }
    }

    private static string PoolKey(byte[] spki) => Convert.ToBase64String(spki);

    /// <summary>
    /// Imports an allowed key (ECDSA P-256, RSA of at least 2048 bits); null if it is malformed or not allowed.
    /// The algorithm and curve are read from the SPKI first, so a key on another or an unknown curve is never
    /// handed to the platform (which may throw other exceptions than <see cref="CryptographicException"/> for it).
    /// </summary>
    private static AsymmetricAlgorithm? Import(byte[] spki)
    {
        AsymmetricAlgorithm key;
        switch (Algorithm(spki))
        {
            case KeyKind.P256:
                key = ECDsa.Create();
                break;
            case KeyKind.Rsa:
                key = RSA.Create();
                break;
            default:
                return null;
        }

        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out int read);
            bool allowed = read == spki.Length && key switch
            {
                ECDsa ecdsa => ecdsa.KeySize == 256,
                RSA rsa => rsa.KeySize >= 2048,
                _ => false,
            };
            if (allowed)
            {
                return key;
            }
        }
        catch (Exception e) when (e is CryptographicException or NotSupportedException or ArgumentException)
        {
            // Malformed: not a valid point, not an RSA key, or a form the platform refuses.
        }

        key.Dispose();
        return null;
    }

    private enum KeyKind
    {
        Other,
        P256,
        Rsa,
    }

    /// <summary>SubjectPublicKeyInfo ::= SEQUENCE { SEQUENCE { algorithm OID, parameters ANY OPTIONAL }, BIT STRING }.</summary>
    private static KeyKind Algorithm(byte[] spki)
    {
        try
        {
            var outer = new AsnReader(spki, AsnEncodingRules.DER);
            var sequence = outer.ReadSequence();
            var algorithm = sequence.ReadSequence();
            string oid = algorithm.ReadObjectIdentifier();
            if (oid == "1.2.840.10045.2.1")
            {
                return algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier)
                    && algorithm.ReadObjectIdentifier() == "1.2.840.10045.3.1.7" && !algorithm.HasData
                    ? KeyKind.P256
                    : KeyKind.Other;
            }

            return oid == "1.2.840.113549.1.1.1" ? KeyKind.Rsa : KeyKind.Other;
        }
        catch (AsnContentException)
        {
            return KeyKind.Other;
        }
    }

    private static string ChainKey(byte[][] entries)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var der in entries)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, der.Length);
            hash.AppendData(length);
            hash.AppendData(der);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return Convert.ToHexString(digest);
    }
}
