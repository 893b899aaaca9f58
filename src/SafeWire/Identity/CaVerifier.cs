using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Identity;

/// <summary>
/// Trust by certificate authority: the peer's chain must lead to one of the given roots, every certificate must be
/// valid at <see cref="PeerVerificationContext.Now"/>, none may be on its issuer's CRL, the leaf's extended key
/// usage must fit the peer's role and its name the expected name. Each failure has its own
/// <see cref="TrustFailureReason"/>.
/// </summary>
/// <remarks>
/// Fast enough to call per connection: roots are parsed once, a CRL file is re-read only when its timestamp or
/// size changes, and a chain that built once is remembered (checks that depend on the time, the CRL, the role
/// and the name run on every call). A CRL that is configured but missing, corrupt or not signed by its CA fails
/// every verification: revocation is never silently skipped.
/// </remarks>
public sealed class CaVerifier : IPeerVerifier
{
    private const int MaxCachedChains = 1024;
    private const string OidServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string OidClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string OidSubjectKeyIdentifier = "2.5.29.14";
    private const string OidKeyUsage = "2.5.29.15";
    private const string OidSubjectAltName = "2.5.29.17";
    private const string OidBasicConstraints = "2.5.29.19";
    private const string OidAuthorityKeyIdentifier = "2.5.29.35";
    private const string OidExtendedKeyUsage = "2.5.29.37";

    private readonly X509Certificate2Collection _roots = [];
    private readonly CrlSource[] _crls;
    private readonly ConcurrentDictionary<string, CachedChain> _chains = new(StringComparer.Ordinal);

    /// <param name="roots">The trusted CA certificates.</param>
    /// <param name="crlPaths">CRL files (PEM or DER) of those CAs (or of intermediates).</param>
    public CaVerifier(IEnumerable<X509Certificate2> roots, IEnumerable<string>? crlPaths = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        foreach (var root in roots)
        {
            _roots.Add(X509CertificateLoader.LoadCertificate(root.RawData));
        }

        if (_roots.Count == 0)
        {
            throw new ArgumentException("A CA verifier needs at least one root certificate.", nameof(roots));
        }

        _crls = (crlPaths ?? []).Select(p => new CrlSource(Path.GetFullPath(p))).ToArray();
    }

    /// <summary>A verifier for one CA certificate file and (optionally) its CRL file.</summary>
    public static CaVerifier FromFiles(string caCertificatePath, string? crlPath = null)
    {
        var roots = CertificateFile.ReadAll(caCertificatePath);
        try
        {
            return new CaVerifier(roots, crlPath is null ? null : [crlPath]);
        }
        finally
        {
            foreach (var root in roots)
            {
                root.Dispose();
            }
        }
    }

    /// <inheritdoc/>
    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        ArgumentNullException.ThrowIfNull(credential);
        if (credential.IsRawPublicKey)
        {
            throw new TrustException(TrustFailureReason.UnknownKey, "The peer presented a bare public key; a certificate from a trusted CA is required.");
        }

        var key = ChainKey(credential.CertificateChain);
        if (!_chains.TryGetValue(key, out var entry))
        {
            entry = Parse(credential);
        }

        CheckTime(entry.Leaf, entry.Name, context.Now);
        if (context.Now < entry.ValidFrom || context.Now > entry.ValidTo)
        {
            entry = Build(credential, entry, context.Now);
            if (_chains.Count >= MaxCachedChains)
            {
                _chains.Clear();
            }

            _chains[key] = entry;
        }

        CheckRevocation(entry.Chain);
        CheckUsage(entry.Leaf, entry.Name, context.Role);
        CheckName(entry, context);
        return new PeerIdentity(entry.Name, entry.Fingerprint, credential.SubjectPublicKeyInfo, new X509Certificate2(entry.Leaf));
    }

    /// <summary>Parses the leaf once per distinct chain (parsing costs far more than every check after it).</summary>
    private static CachedChain Parse(PeerCredential credential)
    {
        var leaf = Load(credential.CertificateChain[0], "certificate");
        try
        {
            KeyFile.CheckSupported(leaf.PublicKey.ExportSubjectPublicKeyInfo(), "the peer's certificate");
        }
        catch (IdentityFileException e)
        {
            leaf.Dispose();
            throw new TrustException(TrustFailureReason.Malformed, e.Message, e);
        }

        var name = leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return new CachedChain(leaf, name, Fingerprint.Of(credential.SubjectPublicKeyInfo), [], DateTimeOffset.MaxValue, DateTimeOffset.MinValue);
    }

    private static void CheckTime(X509Certificate2 certificate, string name, DateTimeOffset now)
    {
        if (now < certificate.NotBefore)
        {
            throw new TrustException(TrustFailureReason.NotYetValid, $"The certificate of \"{name}\" is not valid until {certificate.NotBefore.ToUniversalTime():u} (now {now.UtcDateTime:u}); check the clocks.");
        }

        if (now > certificate.NotAfter)
        {
            throw new TrustException(TrustFailureReason.Expired, $"The certificate of \"{name}\" expired on {certificate.NotAfter.ToUniversalTime():u}; issue a new one (safewire cert issue).");
        }
    }

    /// <summary>Builds the chain leaf → root at <paramref name="now"/>; the result holds while every certificate in it is valid.</summary>
    private CachedChain Build(PeerCredential credential, CachedChain parsed, DateTimeOffset now)
    {
        if (credential.CertificateChain.Count == 1 && DirectIssuer(parsed.Leaf, now) is { } root)
        {
            X509Certificate2[] direct = [new X509Certificate2(parsed.Leaf), new X509Certificate2(root)];
            return parsed with
            {
                Chain = direct,
                ValidFrom = direct.Max(c => new DateTimeOffset(c.NotBefore)),
                ValidTo = direct.Min(c => new DateTimeOffset(c.NotAfter)),
            };
        }

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(_roots);
        policy.RevocationMode = X509RevocationMode.NoCheck; // the CRL is checked separately, from the local file
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = now.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        var extras = new List<X509Certificate2>();
        try
        {
            foreach (var der in credential.CertificateChain.Skip(1))
            {
                var intermediate = Load(der, "intermediate certificate");
                extras.Add(intermediate);
                policy.ExtraStore.Add(intermediate);
            }

            if (!chain.Build(parsed.Leaf))
            {
                throw ChainFailure(chain, parsed.Name, now);
            }

            var certificates = chain.ChainElements.Select(e => new X509Certificate2(e.Certificate)).ToArray();
            return parsed with
            {
                Chain = certificates,
                ValidFrom = certificates.Max(c => new DateTimeOffset(c.NotBefore)),
                ValidTo = certificates.Min(c => new DateTimeOffset(c.NotAfter)),
            };
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }

            foreach (var extra in extras)
            {
                extra.Dispose();
            }
        }
    }

    /// <summary>
    /// The common case without <see cref="X509Chain"/>: a leaf signed directly by one of the roots. On Linux the first
    /// chain build in a process loads the whole system trust store even for a custom root (≈ 70 ms of every CLI
    /// command's start). Only a plain case is taken: same issuer name, a signature that verifies with the root's key
    /// (ECDSA or RSA PKCS#1, the algorithm named the same inside and out), a root that is a CA valid now with no
    /// constraints beyond basic constraints and key usage, matching key identifiers, and no critical extension in the
    /// leaf that the later checks do not cover. Anything else returns null and <see cref="X509Chain"/> decides, so this
    /// path can only accept what the chain build would accept.
    /// </summary>
    private X509Certificate2? DirectIssuer(X509Certificate2 leaf, DateTimeOffset now)
    {
        if (!HasOnlyKnownCriticalExtensions(leaf))
        {
            return null;
        }

        foreach (var root in _roots)
        {
            if (leaf.IssuerName.RawData.AsSpan().SequenceEqual(root.SubjectName.RawData)
                && now >= root.NotBefore && now <= root.NotAfter
                && IsPlainCa(root)
                && KeyIdentifiersMatch(leaf, root)
                && X509Signature.IsCertificateSignedBy(leaf, root))
            {
                return root;
            }
        }

        return null;
    }

    private static bool IsPlainCa(X509Certificate2 root)
    {
        var basic = root.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        var usage = root.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        return basic is { CertificateAuthority: true }
            && (usage is null || (usage.KeyUsages & X509KeyUsageFlags.KeyCertSign) != 0)
            && root.Extensions.All(e => e.Oid?.Value is OidBasicConstraints or OidKeyUsage or OidSubjectKeyIdentifier or OidAuthorityKeyIdentifier);
    }

    private static bool HasOnlyKnownCriticalExtensions(X509Certificate2 leaf) =>
        leaf.Extensions.All(e => !e.Critical || e.Oid?.Value is OidBasicConstraints or OidKeyUsage or OidExtendedKeyUsage or OidSubjectAltName);

    /// <summary>When the leaf names its issuer's key and the root names its own, they must be the same key.</summary>
    private static bool KeyIdentifiersMatch(X509Certificate2 leaf, X509Certificate2 root)
    {
        var authority = leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier;
        var subject = root.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes;
        return authority is null || subject is null || authority.Value.Span.SequenceEqual(subject.Value.Span);
    }

    private static TrustException ChainFailure(X509Chain chain, string name, DateTimeOffset now)
    {
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        foreach (var element in chain.ChainElements)
        {
            flags |= element.ChainElementStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        }

        var detail = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        if ((flags & (X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.NotSignatureValid)) != 0)
        {
            return new TrustException(TrustFailureReason.UntrustedIssuer, $"The certificate of \"{name}\" was not issued by a trusted CA ({detail}).");
        }

        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            var expired = chain.ChainElements.Any(e => now > e.Certificate.NotAfter);
            return new TrustException(expired ? TrustFailureReason.Expired : TrustFailureReason.NotYetValid,
                $"The CA certificate in the chain of \"{name}\" is {(expired ? "expired" : "not yet valid")}.");
        }

        if ((flags & (X509ChainStatusFlags.NotValidForUsage | X509ChainStatusFlags.InvalidBasicConstraints)) != 0)
        {
            return new TrustException(TrustFailureReason.WrongKeyUsage, $"The chain of \"{name}\" misuses a certificate ({detail}).");
        }

        return new TrustException(TrustFailureReason.UntrustedIssuer, $"The certificate of \"{name}\" does not chain to a trusted CA ({detail}).");
    }

    private void CheckRevocation(X509Certificate2[] chain)
    {
        if (_crls.Length == 0)
        {
            return;
        }

        // Every certificate below the root is looked up in the CRL of the certificate above it.
        for (var i = 0; i < chain.Length - 1; i++)
        {
            var issuer = chain[i + 1];
            foreach (var source in _crls)
            {
                var crl = source.Get();
                if (!crl.Issuer.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData))
                {
                    continue;
                }

                if (!source.IsSignedBy(crl, issuer))
                {
                    throw new TrustException(TrustFailureReason.UntrustedIssuer, $"The CRL {source.Path} is not signed by the CA \"{issuer.GetNameInfo(X509NameType.SimpleName, false)}\"; cannot check revocation.");
                }

                if (crl.IsRevoked(chain[i]))
                {
                    var name = chain[i].GetNameInfo(X509NameType.SimpleName, false);
                    throw new TrustException(TrustFailureReason.Revoked, $"The certificate of \"{name}\" (serial {chain[i].SerialNumber}) has been revoked by its CA.");
                }
            }
        }
    }

    private static void CheckUsage(X509Certificate2 leaf, string name, PeerRole role)
    {
        var basic = leaf.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (basic is { CertificateAuthority: true })
        {
            throw new TrustException(TrustFailureReason.WrongKeyUsage, $"\"{name}\" presented a CA certificate as its own identity.");
        }

        var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (usage is not null && (usage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
        {
            throw new TrustException(TrustFailureReason.WrongKeyUsage, $"The certificate of \"{name}\" does not allow digital signatures.");
        }

        var wanted = role == PeerRole.Server ? OidServerAuth : OidClientAuth;
        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is null || !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == wanted))
        {
            var what = role == PeerRole.Server ? "server (serverAuth)" : "client (clientAuth)";
            throw new TrustException(TrustFailureReason.WrongKeyUsage, $"The certificate of \"{name}\" is not issued for use as a {what}.");
        }
    }

    private static void CheckName(CachedChain entry, PeerVerificationContext context)
    {
        if (context.ExpectedName is not { } expected)
        {
            return;
        }

        if (context.Role == PeerRole.Server)
        {
            if (!entry.HostMatches.TryGetValue(expected, out var matches))
            {
                matches = entry.Leaf.MatchesHostname(expected, allowWildcards: true, allowCommonName: false);
                if (entry.HostMatches.Count < 16)
                {
                    entry.HostMatches[expected] = matches;
                }
            }

            if (!matches)
            {
                var option = System.Net.IPAddress.TryParse(expected, out _) ? "--ip" : "--dns";
                throw new TrustException(TrustFailureReason.NameMismatch,
                    $"The server certificate \"{entry.Name}\" is not valid for \"{expected}\" (its names: {string.Join(", ", SubjectAltNames(entry.Leaf).DefaultIfEmpty("none"))}). " +
                    $"Dial one of those names, or on the server give its certificate this one: safewire cert issue {entry.Name} --server {option} {expected} (keep its other names), or start it with --host {expected} when that is its own address.");
            }
        }
        else if (!string.Equals(entry.Name, expected, StringComparison.Ordinal))
        {
            throw new TrustException(TrustFailureReason.NameMismatch, $"The client certificate names \"{entry.Name}\", not the expected \"{expected}\".");
        }
    }

    /// <summary>DNS names and IP addresses of a certificate's subjectAltName extension.</summary>
    public static IEnumerable<string> SubjectAltNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (var san in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            foreach (var dns in san.EnumerateDnsNames())
            {
                yield return dns;
            }

            foreach (var ip in san.EnumerateIPAddresses())
            {
                yield return ip.ToString();
            }
        }
    }

    private static X509Certificate2 Load(byte[] der, string what)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException e)
        {
            throw new TrustException(TrustFailureReason.Malformed, $"The peer's {what} could not be parsed: {e.Message}", e);
        }
    }

    private static string ChainKey(IReadOnlyList<byte[]> chain)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var der in chain)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, der.Length);
            hash.AppendData(length);
            hash.AppendData(der);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>A parsed leaf and (once built) its chain, valid for verification times in [ValidFrom, ValidTo].</summary>
    private sealed record CachedChain(X509Certificate2 Leaf, string Name, string Fingerprint, X509Certificate2[] Chain, DateTimeOffset ValidFrom, DateTimeOffset ValidTo)
    {
        public ConcurrentDictionary<string, bool> HostMatches { get; } = new(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>One CRL file, re-read when its timestamp or length changes; signature checks are remembered per issuer.</summary>
    private sealed class CrlSource(string path)
    {
        private readonly object _gate = new();
        private (DateTime Written, long Length) _stamp;
        private RevocationList? _crl;
        private string? _verifiedIssuer;

        public string Path { get; } = path;

        public RevocationList Get()
        {
            var info = new FileInfo(Path);
            if (!info.Exists)
            {
                throw new TrustException(TrustFailureReason.UntrustedIssuer, $"The CRL {Path} is missing; cannot check revocation.");
            }

            var stamp = (info.LastWriteTimeUtc, info.Length);
            lock (_gate)
            {
                if (_crl is not null && stamp == _stamp)
                {
                    return _crl;
                }

                try
                {
                    _crl = RevocationList.Read(Path);
                }
                catch (IdentityFileException e)
                {
                    throw new TrustException(TrustFailureReason.UntrustedIssuer, $"The CRL cannot be used: {e.Message}", e);
                }

                _stamp = stamp;
                _verifiedIssuer = null;
                return _crl;
            }
        }

        public bool IsSignedBy(RevocationList crl, X509Certificate2 issuer)
        {
            lock (_gate)
            {
                if (ReferenceEquals(crl, _crl) && _verifiedIssuer == issuer.Thumbprint)
                {
                    return true;
                }
            }

            if (!crl.IsSignedBy(issuer))
            {
                return false;
            }

            lock (_gate)
            {
                if (ReferenceEquals(crl, _crl))
                {
                    _verifiedIssuer = issuer.Thumbprint;
                }
            }

            return true;
        }
    }
}
