using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Identity;

/// <summary>
/// A parsed X.509 CRL (RFC 5280 section 5): who issued it, when, and which serial numbers it revokes.
/// .NET can build CRLs but not check certificates against a local one, so the verifier reads them here.
/// </summary>
internal sealed class RevocationList
{
    private const string OidCrlNumber = "2.5.29.20";
    private readonly HashSet<string> _revokedSerials;
    private readonly byte[] _tbs;
    private readonly string _signatureAlgorithm;
    private readonly byte[] _signature;

    private RevocationList(byte[] der, byte[] tbs, string signatureAlgorithm, byte[] signature, X500DistinguishedName issuer,
        DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate, BigInteger? crlNumber, HashSet<string> revoked)
    {
        RawData = der;
        _tbs = tbs;
        _signatureAlgorithm = signatureAlgorithm;
        _signature = signature;
        Issuer = issuer;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        CrlNumber = crlNumber;
        _revokedSerials = revoked;
    }

    public byte[] RawData { get; }

    public X500DistinguishedName Issuer { get; }

    public DateTimeOffset ThisUpdate { get; }

    public DateTimeOffset? NextUpdate { get; }

    public BigInteger? CrlNumber { get; }

    /// <summary>Revoked serial numbers, upper-case hex as <see cref="System.Security.Cryptography.X509Certificates.X509Certificate2.SerialNumber"/> prints them.</summary>
    public IReadOnlyCollection<string> RevokedSerials => _revokedSerials;

    public bool IsRevoked(X509Certificate2 certificate) => IsRevoked(certificate.SerialNumber);

    public bool IsRevoked(string serialHex) => _revokedSerials.Contains(serialHex.ToUpperInvariant());

    /// <summary>Reads a CRL file (PEM "X509 CRL", or DER).</summary>
    public static RevocationList Read(string path)
    {
        var raw = SecureFile.ReadAll(path, "CRL");
        if (raw.Length > 0 && raw[0] == 0x30)
        {
            return Parse(path, raw);
        }

        var blocks = PemFile.ReadBlocks(path, "CRL");
        var crl = blocks.FirstOrDefault(b => b.Label == "X509 CRL");
        if (crl.Der is null)
        {
            throw new IdentityFileException(IdentityFileError.WrongContent, path, $"{path}: holds a \"{blocks[0].Label}\", not a CRL");
        }

        return Parse(path, crl.Der);
    }

    public static RevocationList Parse(string source, byte[] der)
    {
        try
        {
            // CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
            var list = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var tbsEncoded = list.ReadEncodedValue();
            var signatureAlgorithm = list.ReadSequence().ReadObjectIdentifier();
            var signature = list.ReadBitString(out _);

            // TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name,
            //   thisUpdate Time, nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF ... OPTIONAL,
            //   crlExtensions [0] EXPLICIT Extensions OPTIONAL }
            var tbs = new AsnReader(tbsEncoded, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                tbs.ReadInteger();
            }

            tbs.ReadSequence();
            var issuer = new X500DistinguishedName(tbs.ReadEncodedValue().Span);
            var thisUpdate = ReadTime(tbs);
            DateTimeOffset? nextUpdate = null;
            if (tbs.HasData && IsTime(tbs.PeekTag()))
            {
                nextUpdate = ReadTime(tbs);
            }

            var revoked = new HashSet<string>(StringComparer.Ordinal);
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var entries = tbs.ReadSequence();
                while (entries.HasData)
                {
                    var entry = entries.ReadSequence();
                    revoked.Add(Convert.ToHexString(entry.ReadIntegerBytes().Span));
                }
            }

            BigInteger? crlNumber = null;
            if (tbs.HasData)
            {
                var extensions = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
                while (extensions.HasData)
                {
                    var extension = extensions.ReadSequence();
                    var oid = extension.ReadObjectIdentifier();
                    if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                    {
                        extension.ReadBoolean();
                    }

                    var value = extension.ReadOctetString();
                    if (oid == OidCrlNumber)
                    {
                        crlNumber = new AsnReader(value, AsnEncodingRules.DER).ReadInteger();
                    }
                }
            }

            return new RevocationList(der, tbsEncoded.ToArray(), signatureAlgorithm, signature, issuer, thisUpdate, nextUpdate, crlNumber, revoked);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or InvalidOperationException)
        {
            throw new IdentityFileException(IdentityFileError.Corrupt, source, $"{source}: not a valid X.509 CRL ({e.Message.TrimEnd('.')})", e);
        }
    }

    /// <summary>True when <paramref name="issuer"/> issued this CRL: same name and a valid signature by its key.</summary>
    public bool IsSignedBy(X509Certificate2 issuer)
    {
        if (!Issuer.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData))
        {
            return false;
        }

        return X509Signature.IsValid(_tbs, _signatureAlgorithm, _signature, issuer);
    }

    private static bool IsTime(Asn1Tag tag) =>
        tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}
