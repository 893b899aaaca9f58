using System.Collections.Concurrent;
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

        var cacheKey = ((ushort)scheme).ToString("x4", null) + Convert.ToBase64String(spki);
        var pool = s_keys.GetOrAdd(cacheKey, static _ => []);
        if (!pool.TryTake(out var key))
        {
            key = Import(scheme, spki);
            if (key is null)
            {
                s_keys.TryRemove(cacheKey, out _);
                return false;
            }
        }

        try
        {
            return key switch
            {
                ECDsa ecdsa => ecdsa.VerifyData(content, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
                RSA rsa => rsa.VerifyData(content, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
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
    }

    /// <summary>Imports the key for the scheme; null if it is malformed or not allowed (ECDSA: P-256 only; RSA: at least 2048 bits).</summary>
    private static AsymmetricAlgorithm? Import(SignatureScheme scheme, byte[] spki)
    {
        AsymmetricAlgorithm key = scheme == SignatureScheme.EcdsaSecp256r1Sha256 ? ECDsa.Create() : RSA.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out _);
            bool allowed = key switch
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
        catch (CryptographicException)
        {
            // Malformed, or the scheme does not match the key type.
        }

        key.Dispose();
        return null;
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
