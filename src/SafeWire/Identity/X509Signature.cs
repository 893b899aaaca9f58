using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Identity;

/// <summary>
/// The signature on a signed X.509 structure (a certificate or a CRL: <c>SEQUENCE { tbs, AlgorithmIdentifier,
/// BIT STRING }</c>), checked with the issuer's public key for the algorithms SafeWire issues with: ECDSA and RSA
/// PKCS#1 v1.5 with SHA-256/384/512. Any other algorithm is "not verified".
/// </summary>
internal static class X509Signature
{
    private const string EcdsaPrefix = "1.2.840.10045.4.3.";
    private const string RsaPrefix = "1.2.840.113549.1.1.";

    /// <summary>True when <paramref name="signature"/> over <paramref name="tbs"/> verifies with <paramref name="issuer"/>'s key.</summary>
    public static bool IsValid(ReadOnlySpan<byte> tbs, string algorithm, ReadOnlySpan<byte> signature, X509Certificate2 issuer)
    {
        var hash = algorithm switch
        {
            "1.2.840.10045.4.3.2" or "1.2.840.113549.1.1.11" => HashAlgorithmName.SHA256,
            "1.2.840.10045.4.3.3" or "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
            "1.2.840.10045.4.3.4" or "1.2.840.113549.1.1.13" => HashAlgorithmName.SHA512,
            _ => default,
        };
        if (hash == default)
        {
            return false;
        }

        using var ec = issuer.GetECDsaPublicKey();
        if (ec is not null)
        {
            return algorithm.StartsWith(EcdsaPrefix, StringComparison.Ordinal)
                && ec.VerifyData(tbs, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        }

        using var rsa = issuer.GetRSAPublicKey();
        return rsa is not null
            && algorithm.StartsWith(RsaPrefix, StringComparison.Ordinal)
            && rsa.VerifyData(tbs, signature, hash, RSASignaturePadding.Pkcs1);
    }

    /// <summary>
    /// True when <paramref name="certificate"/> carries a signature by <paramref name="issuer"/>'s key in one of the
    /// algorithms above, and the algorithm named inside the signed part is the same as outside (RFC 5280 4.1.1.2).
    /// A certificate that does not parse is simply not verified.
    /// </summary>
    public static bool IsCertificateSignedBy(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        try
        {
            // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
            var reader = new AsnReader(certificate.RawData, AsnEncodingRules.DER);
            var outer = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var tbs = outer.ReadEncodedValue();
            var algorithm = outer.ReadEncodedValue();
            var signature = outer.ReadBitString(out var unusedBits);
            outer.ThrowIfNotEmpty();

            // TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL, serialNumber, signature AlgorithmIdentifier, ... }
            var inner = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
            if (inner.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                inner.ReadEncodedValue();
            }

            inner.ReadEncodedValue();
            if (unusedBits != 0 || !inner.ReadEncodedValue().Span.SequenceEqual(algorithm.Span))
            {
                return false;
            }

            var identifier = new AsnReader(algorithm, AsnEncodingRules.DER).ReadSequence();
            var oid = identifier.ReadObjectIdentifier();
            if (identifier.HasData)
            {
                // ECDSA takes no parameters; RSA PKCS#1 takes NULL.
                if (!oid.StartsWith(RsaPrefix, StringComparison.Ordinal))
                {
                    return false;
                }

                identifier.ReadNull();
                identifier.ThrowIfNotEmpty();
            }

            return IsValid(tbs.Span, oid, signature, issuer);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return false;
        }
    }
}
