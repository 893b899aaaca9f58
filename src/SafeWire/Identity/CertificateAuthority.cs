using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SafeWire.Identity;

/// <summary>What to put in a leaf certificate.</summary>
/// <param name="Name">Subject common name: the client's name, or the server's name.</param>
/// <param name="Role">Server (serverAuth, SANs) or client (clientAuth).</param>
public sealed record LeafRequest(string Name, PeerRole Role)
{
    /// <summary>DNS subjectAltNames (servers).</summary>
    public IReadOnlyList<string> DnsNames { get; init; } = [];

    /// <summary>IP subjectAltNames (servers).</summary>
    public IReadOnlyList<IPAddress> IpAddresses { get; init; } = [];

    /// <summary>Validity in days from now (capped at the CA's own expiry).</summary>
    public int Days { get; init; } = CertificateAuthority.DefaultLeafDays;
}

/// <summary>
/// SafeWire's private certificate authority, kept in one directory with fixed file names:
/// <c>ca.crt</c> (self-signed root), <c>ca.key</c> (its private key, 0600) and <c>crl.pem</c> (its CRL).
/// Issues server and client leaf certificates and revokes them by serial number.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    /// <summary>The file name of the CA certificate in its directory.</summary>
    public const string CertificateFileName = "ca.crt";
    /// <summary>The file name of the CA private key in its directory.</summary>
    public const string KeyFileName = "ca.key";
    /// <summary>The file name of the CA revocation list in its directory.</summary>
    public const string CrlFileName = "crl.pem";
    /// <summary>How long a new CA is valid unless told otherwise: ten years.</summary>
    public const int DefaultCaDays = 3650;
    /// <summary>How long an issued certificate is valid unless told otherwise: one year.</summary>
    public const int DefaultLeafDays = 365;

    /// <summary>How long a CRL is declared fresh (its nextUpdate); every revocation re-issues it.</summary>
    public static readonly TimeSpan CrlLifetime = TimeSpan.FromDays(365);

    /// <summary>Back-dating of notBefore, so peers with slightly slow clocks accept a fresh certificate.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private const string OidServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string OidClientAuth = "1.3.6.1.5.5.7.3.2";

    private readonly AsymmetricAlgorithm _key;
    private readonly object _crlLock = new();

    private CertificateAuthority(string directory, X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        Directory = Path.GetFullPath(directory);
        Certificate = certificate;
        _key = key;
    }

    /// <summary>The full path of the CA directory.</summary>
    public string Directory { get; }

    /// <summary>The CA certificate file: distribute it to the peers that should trust this CA.</summary>
    public string CertificatePath => Path.Combine(Directory, CertificateFileName);

    /// <summary>The CA private key file (owner-only); whoever holds it can issue certificates.</summary>
    public string KeyPath => Path.Combine(Directory, KeyFileName);

    /// <summary>The CA revocation list file; verifiers read it to refuse revoked certificates.</summary>
    public string CrlPath => Path.Combine(Directory, CrlFileName);

    /// <summary>The root certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The <c>SHA256:</c> fingerprint of the CA's public key, to compare out of band before trusting the CA.</summary>
    public string Fingerprint => Identity.Fingerprint.Of(Certificate.PublicKey.ExportSubjectPublicKeyInfo());

    /// <summary>True when <paramref name="directory"/> already holds a CA certificate or key (so <see cref="Create"/> would refuse).</summary>
    public static bool Exists(string directory) =>
        File.Exists(Path.Combine(directory, CertificateFileName)) || File.Exists(Path.Combine(directory, KeyFileName));

    /// <summary>Creates a new CA in <paramref name="directory"/> (refuses to overwrite one) and an empty CRL.</summary>
    public static CertificateAuthority Create(string directory, string name, DateTimeOffset now, int days = DefaultCaDays,
        KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256, ReadOnlySpan<char> password = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        if (Exists(directory))
        {
            throw new InvalidOperationException($"A CA already exists in {directory}; refusing to overwrite it.");
        }

        var key = KeyFile.Generate(algorithm);
        var subject = CommonName(name);
        var request = NewRequest(subject, key);
        var basic = new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true);
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false);
        request.CertificateExtensions.Add(basic);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(ski);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));

        var notBefore = now - ClockSkew;
        using var selfSigned = request.Create(subject, KeyFile.SignatureGenerator(key), notBefore, now.AddDays(days), NewSerial());
        var certificate = X509CertificateLoader.LoadCertificate(selfSigned.RawData);
        var ca = new CertificateAuthority(directory, certificate, key);
        SecureFile.CreateDirectory(directory, secret: true);
        KeyFile.WritePrivateKey(ca.KeyPath, key, password);
        CertificateFile.Write(ca.CertificatePath, certificate);
        ca.WriteCrl(new CertificateRevocationListBuilder(), BigInteger.One, now);
        return ca;
    }

    /// <summary>Loads the CA of <paramref name="directory"/>; an encrypted key needs its password.</summary>
    public static CertificateAuthority Load(string directory, ReadOnlySpan<char> password = default)
    {
        var certificatePath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        var certificate = CertificateFile.Read(certificatePath);
        AsymmetricAlgorithm key;
        try
        {
            key = KeyFile.ReadPrivateKey(keyPath, password);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }

        if (!CryptographicOperations.FixedTimeEquals(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo()))
        {
            key.Dispose();
            certificate.Dispose();
            throw new IdentityFileException(IdentityFileError.WrongContent, keyPath, $"{keyPath}: this key does not belong to {certificatePath}");
        }

        return new CertificateAuthority(directory, certificate, key);
    }

    /// <summary>Issues a leaf certificate for <paramref name="subjectKey"/> (only its public part is used).</summary>
    public X509Certificate2 Issue(LeafRequest request, AsymmetricAlgorithm subjectKey, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(subjectKey);
        return Issue(request, NewRequest(CommonName(request.Name), subjectKey), now);
    }

    /// <summary>Issues a leaf for a public key (SPKI DER) whose possession was proven elsewhere, e.g. in a join handshake.</summary>
    public X509Certificate2 IssueForPublicKey(LeafRequest request, byte[] subjectPublicKeyInfo, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        KeyFile.CheckSupported(subjectPublicKeyInfo, "the joining key");
        var key = PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        return Issue(request, new CertificateRequest(CommonName(request.Name), key, HashAlgorithmName.SHA256), now);
    }

    /// <summary>
    /// Signs a PKCS#10 request (PEM, e.g. from <c>openssl req -new</c>). Its signature is checked; its public key
    /// is certified; every extension it asks for is ignored: the profile comes from <paramref name="request"/>.
    /// </summary>
    public X509Certificate2 SignRequest(string csrPem, LeafRequest request, DateTimeOffset now, string source = "CSR")
    {
        CertificateRequest csr;
        try
        {
            // The key algorithm first (so an Ed25519 request is "unsupported", not "invalid"), then the self-signature.
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.SkipSignatureValidation);
            KeyFile.CheckSupported(csr.PublicKey.ExportSubjectPublicKeyInfo(), source);
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or NotSupportedException)
        {
            throw new IdentityFileException(IdentityFileError.Corrupt, source, $"{source}: not a valid PKCS#10 certificate request ({e.Message.TrimEnd('.')})", e);
        }
        var fresh = new CertificateRequest(CommonName(request.Name), csr.PublicKey, HashAlgorithmName.SHA256);
        return Issue(request, fresh, now);
    }

    /// <summary>The common name of a CSR's subject, or null.</summary>
    internal static string? CommonNameOfRequest(string csrPem)
    {
        try
        {
            var csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.SkipSignatureValidation);
            return csr.SubjectName.EnumerateRelativeDistinguishedNames()
                .Where(r => r.GetSingleElementType().Value == "2.5.4.3")
                .Select(r => r.GetSingleElementValue())
                .FirstOrDefault();
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Adds a serial number to the CRL and rewrites <c>crl.pem</c> with the next CRL number. False when it was already revoked.</summary>
    public bool Revoke(string serialHex, DateTimeOffset now)
    {
        var serial = ParseSerial(serialHex);
        lock (_crlLock)
        {
            var (builder, number) = LoadCrlBuilder();
            if (ReadCrl().IsRevoked(Convert.ToHexString(serial)))
            {
                return false;
            }

            builder.AddEntry(serial, now, X509RevocationReason.Unspecified);
            WriteCrl(builder, number + 1, now);
            return true;
        }
    }

    /// <summary>The current CRL (from <c>crl.pem</c>).</summary>
    internal RevocationList ReadCrl() => RevocationList.Read(CrlPath);

    /// <summary>Releases the CA's private key and certificate.</summary>
    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }

    /// <summary>A serial number typed by a user (hex; colons, spaces and 0x allowed) in its DER byte form.</summary>
    internal static byte[] ParseSerial(string serialHex)
    {
        ArgumentNullException.ThrowIfNull(serialHex);
        var cleaned = serialHex.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (cleaned.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            cleaned = cleaned[2..];
        }

        if (cleaned.Length % 2 == 1)
        {
            cleaned = "0" + cleaned;
        }

        try
        {
            // The DER INTEGER form, as certificates and CRLs carry it: no redundant leading zero bytes,
            // and a leading zero when the top bit is set (serials are positive).
            var bytes = Convert.FromHexString(cleaned).AsSpan();
            if (bytes.IsEmpty)
            {
                throw new FormatException();
            }

            while (bytes.Length > 1 && bytes[0] == 0)
            {
                bytes = bytes[1..];
            }

            var serial = bytes[0] >= 0x80 ? [0, .. bytes] : bytes.ToArray();
            return serial.Length is > 0 and <= 21 && !(serial.Length == 1 && serial[0] == 0) ? serial : throw new FormatException();
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"\"{serialHex}\" is not a certificate serial number (1 to 20 bytes of hex).", nameof(serialHex), e);
        }
    }

    private X509Certificate2 Issue(LeafRequest request, CertificateRequest certificateRequest, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Name);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Days, 1);
        var extensions = certificateRequest.CertificateExtensions;
        extensions.Clear();
        extensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        var usage = X509KeyUsageFlags.DigitalSignature;
        if (certificateRequest.PublicKey.Oid.Value == "1.2.840.113549.1.1.1")
        {
            usage |= X509KeyUsageFlags.KeyEncipherment; // RSA key exchange in TLS stacks that still use it (FTPS clients)
        }

        extensions.Add(new X509KeyUsageExtension(usage, critical: true));
        var eku = request.Role == PeerRole.Server ? OidServerAuth : OidClientAuth;
        extensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], critical: false));
        if (request.DnsNames.Count > 0 || request.IpAddresses.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var dns in request.DnsNames)
            {
                san.AddDnsName(dns);
            }

            foreach (var ip in request.IpAddresses)
            {
                san.AddIpAddress(ip);
            }

            extensions.Add(san.Build(critical: false));
        }

        extensions.Add(new X509SubjectKeyIdentifierExtension(certificateRequest.PublicKey, critical: false));
        extensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        var notAfter = now.AddDays(request.Days);
        if (notAfter > Certificate.NotAfter)
        {
            notAfter = Certificate.NotAfter;
        }

        return certificateRequest.Create(Certificate.SubjectName, KeyFile.SignatureGenerator(_key), now - ClockSkew, notAfter, NewSerial());
    }

    private (CertificateRevocationListBuilder Builder, BigInteger Number) LoadCrlBuilder()
    {
        if (!File.Exists(CrlPath))
        {
            return (new CertificateRevocationListBuilder(), BigInteger.Zero);
        }

        try
        {
            var builder = CertificateRevocationListBuilder.LoadPem(File.ReadAllText(CrlPath, Encoding.ASCII), out var number);
            return (builder, number);
        }
        catch (CryptographicException e)
        {
            throw new IdentityFileException(IdentityFileError.Corrupt, CrlPath, $"{CrlPath}: not a valid CRL ({e.Message.TrimEnd('.')})", e);
        }
    }

    private void WriteCrl(CertificateRevocationListBuilder builder, BigInteger number, DateTimeOffset now)
    {
        var akid = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false);
        var crl = builder.Build(Certificate.SubjectName, KeyFile.SignatureGenerator(_key), number, now + CrlLifetime, HashAlgorithmName.SHA256, akid, now);
        SecureFile.Write(CrlPath, PemFile.Encode("X509 CRL", crl), secret: false);
    }

    private static CertificateRequest NewRequest(X500DistinguishedName subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("Only ECDSA and RSA keys are supported.", nameof(key)),
    };

    private static X500DistinguishedName CommonName(string name)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(name);
        return builder.Build();
    }

    /// <summary>16 random bytes, top bit clear (a positive INTEGER) and second-highest set (no leading zero byte).</summary>
    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }
}
