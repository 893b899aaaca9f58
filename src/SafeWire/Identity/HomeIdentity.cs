using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SafeWire.Identity;

/// <summary>A certificate held for a home identity's key.</summary>
/// <param name="Path">The file.</param>
/// <param name="Certificate">The certificate (the caller disposes it).</param>
/// <param name="Role">Client or server.</param>
/// <param name="CaFingerprint">The issuing CA's key fingerprint.</param>
internal sealed record HeldCertificate(string Path, X509Certificate2 Certificate, PeerRole Role, string CaFingerprint);

/// <summary>
/// One identity of a home: one key pair, <c>keys/NAME.key</c> (NAME is "node" unless <c>--as NAME</c>; <c>safewire
/// init</c> creates it), presented by every client verb, and the certificates held for it in <c>ids/NAME/</c>,
/// named <c>CN.ROLE.CA.crt</c> (CA: the first 16 hex digits of the issuing CA key's SHA-256). Certificates from the
/// home's own CA are made on first use; certificates from other CAs arrive with <c>safewire join</c>, which also
/// records which CA vouches for which server (<see cref="TrustedServers"/>). A home from before this layout keeps
/// working: <c>--as NAME</c> with an old <c>certs/NAME.key</c> uses that key and <c>certs/NAME.crt</c>.
/// </summary>
internal sealed class HomeIdentity
{
    /// <summary>The identity used when none is named.</summary>
    public const string DefaultName = SafeWireHome.NodeKeyName;

    private HomeIdentity(SafeWireHome home, string name, string keyPath, bool legacy)
    {
        Home = home;
        Name = name;
        KeyPath = keyPath;
        IsLegacy = legacy;
    }

    /// <summary>The home.</summary>
    public SafeWireHome Home { get; }

    /// <summary>The identity's name (its key file's name).</summary>
    public string Name { get; }

    /// <summary>The private key file.</summary>
    public string KeyPath { get; }

    /// <summary>True for an identity read from the older <c>certs/NAME.key</c> layout.</summary>
    public bool IsLegacy { get; }

    /// <summary>Where its certificates are kept.</summary>
    public string CertificatesDirectory => Path.Combine(Home.Root, "ids", Name);

    /// <summary>The identity <paramref name="name"/> (null: "node") of <paramref name="home"/>; nothing is created yet.</summary>
    public static HomeIdentity Open(SafeWireHome home, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(home);
        var chosen = SafeWireHome.CheckName(name ?? DefaultName);
        var keyPath = home.KeyPath(chosen);
        if (name is not null && !File.Exists(keyPath) && File.Exists(home.CertificateKeyPath(chosen)))
        {
            return new HomeIdentity(home, chosen, home.CertificateKeyPath(chosen), legacy: true);
        }

        return new HomeIdentity(home, chosen, keyPath, legacy: false);
    }

    /// <summary>The identity's private key, created (with its <c>.pub</c>) when absent.</summary>
    public AsymmetricAlgorithm LoadOrCreateKey(ReadOnlySpan<char> password = default) =>
        IsLegacy ? KeyFile.ReadPrivateKey(KeyPath, password) : Home.LoadOrCreateKey(Name, out _, password: password);

    /// <summary>The identity's fingerprint (creating the key when absent).</summary>
    public string Fingerprint()
    {
        using var key = LoadOrCreateKey();
        return Identity.Fingerprint.Of(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>Every certificate held for this identity's key (the caller disposes them).</summary>
    public List<HeldCertificate> Certificates()
    {
        var held = new List<HeldCertificate>();
        if (IsLegacy && File.Exists(Home.CertificatePath(Name)))
        {
            var certificate = CertificateFile.Read(Home.CertificatePath(Name));
            held.Add(new HeldCertificate(Home.CertificatePath(Name), certificate, RoleOf(certificate), IssuerFingerprint(certificate)));
        }

        if (!Directory.Exists(CertificatesDirectory))
        {
            return held;
        }

        foreach (var path in Directory.EnumerateFiles(CertificatesDirectory, "*.crt").Order(StringComparer.Ordinal))
        {
            var parts = Path.GetFileName(path).Split('.');
            if (parts.Length < 4)
            {
                continue;
            }

            var certificate = CertificateFile.Read(path);
            held.Add(new HeldCertificate(path, certificate, parts[^3] == "server" ? PeerRole.Server : PeerRole.Client, parts[^2]));
        }

        return held;
    }

    /// <summary>Stores a certificate for this identity's key from the CA <paramref name="ca"/>; returns its path.</summary>
    public string Store(X509Certificate2 certificate, PeerRole role, X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(ca);
        var path = CertificatePath(CommonName(certificate), role, CaTag(ca));
        CertificateFile.Write(path, certificate);
        return path;
    }

    /// <summary>
    /// The credential a client verb presents to <paramref name="host"/>: a certificate from the CA that
    /// <see cref="TrustedServers"/> names for that host when this identity holds one (from <c>safewire join</c>),
    /// else a certificate from the home's own CA with subject CN <paramref name="commonName"/> (default: the identity
    /// name), issued on first use and re-issued when it expired or the CA changed.
    /// </summary>
    public LocalCredential ClientCredential(string? host, string? commonName = null, ReadOnlySpan<char> caPassword = default)
    {
        if (host is not null && new TrustedServers(Home).Lookup(host) is { } binding)
        {
            foreach (var held in Certificates())
            {
                if (held.Role == PeerRole.Client && held.CaFingerprint == binding.CaTag && IsCurrent(held.Certificate))
                {
                    return LocalCredential.FromCertificate(held.Certificate, LoadOrCreateKey());
                }

                held.Certificate.Dispose();
            }
        }

        if (IsLegacy)
        {
            return Home.LoadOrCreateClientCredential(Name, caPassword);
        }

        var cn = SafeWireHome.CheckName(commonName ?? Name);
        var key = LoadOrCreateKey();
        try
        {
            if (!Home.HasCa)
            {
                Home.LoadOrCreateCa(caPassword).Dispose();
            }

            string path;
            using (var caCertificate = CertificateFile.Read(Home.CaCertificatePath))
            {
                path = CertificatePath(cn, PeerRole.Client, CaTag(caCertificate));
            }

            if (File.Exists(path))
            {
                var existing = CertificateFile.Read(path);
                if (IsCurrent(existing) && CryptographicOperations.FixedTimeEquals(existing.PublicKey.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfo())
                    && !IsRevoked(existing))
                {
                    return LocalCredential.FromCertificate(existing, key);
                }

                existing.Dispose();
            }

            using var ca = CertificateAuthority.Load(Home.CaDirectory, caPassword);
            var issued = ca.Issue(new LeafRequest(cn, PeerRole.Client), key, Home.Time.GetUtcNow());
            CertificateFile.Write(path, issued);
            return LocalCredential.FromCertificate(issued, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The file tag of a CA: the first 16 hex digits of SHA-256 over its key.</summary>
    public static string CaTag(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        return Convert.ToHexStringLower(SHA256.HashData(ca.PublicKey.ExportSubjectPublicKeyInfo()))[..16];
    }

    /// <summary>The subject CN of a certificate, or "unnamed".</summary>
    public static string CommonName(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrEmpty(cn) ? "unnamed" : cn;
    }

    private bool IsRevoked(X509Certificate2 certificate) =>
        File.Exists(Home.CrlPath) && RevocationList.Read(Home.CrlPath).IsRevoked(certificate);

    private bool IsCurrent(X509Certificate2 certificate)
    {
        var now = Home.Time.GetUtcNow();
        return certificate.NotBefore <= now && certificate.NotAfter > now.AddMinutes(5);
    }

    private string CertificatePath(string cn, PeerRole role, string caTag) =>
        Path.Combine(CertificatesDirectory, string.Create(CultureInfo.InvariantCulture, $"{SafeWireHome.CheckName(cn)}.{(role == PeerRole.Server ? "server" : "client")}.{caTag}.crt"));

    private static PeerRole RoleOf(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku)
            {
                foreach (var oid in eku.EnhancedKeyUsages)
                {
                    if (oid.Value == "1.3.6.1.5.5.7.3.1")
                    {
                        return PeerRole.Server;
                    }
                }
            }
        }

        return PeerRole.Client;
    }

    private string IssuerFingerprint(X509Certificate2 certificate)
    {
        if (!Home.HasCa)
        {
            return "unknown";
        }

        using var ca = CertificateFile.Read(Home.CaCertificatePath);
        return certificate.IssuerName.RawData.AsSpan().SequenceEqual(ca.SubjectName.RawData) ? CaTag(ca) : "unknown";
    }
}

/// <summary>A host and the CA a join made this home trust for it.</summary>
/// <param name="Host">The host (lowercase), every port.</param>
/// <param name="CaTag">The CA's file tag (<see cref="HomeIdentity.CaTag"/>).</param>
/// <param name="CaCertificatePath">The CA certificate.</param>
/// <param name="CrlPath">Its CRL (received at the join, refreshed from the server when older than <see cref="TrustedServers.CrlMaxAge"/>).</param>
internal sealed record ServerBinding(string Host, string CaTag, string CaCertificatePath, string CrlPath);

/// <summary>
/// The CAs a home learned by joining, and which hosts each vouches for: <c>trusted/CA.crt</c>, <c>trusted/CA.crl</c>
/// and <c>trusted/servers.txt</c> (<c>HOST CA</c> per line). For a bound host, client verbs trust exactly that CA
/// (with its CRL and the usual name check) instead of trust on first use.
/// </summary>
internal sealed class TrustedServers(SafeWireHome home)
{
    /// <summary>How old a joined CA's CRL copy may get before client verbs fetch the current one from the server: 1 hour.</summary>
    public static readonly TimeSpan CrlMaxAge = TimeSpan.FromHours(1);

    private static readonly object s_gate = new();

    /// <summary>The folder.</summary>
    public string Directory => Path.Combine(home.Root, "trusted");

    /// <summary>The host list.</summary>
    public string ServersPath => Path.Combine(Directory, "servers.txt");

    /// <summary>Stores a CA (and its CRL) and binds <paramref name="host"/> to it; returns the binding.</summary>
    public ServerBinding Trust(string host, X509Certificate2 ca, byte[]? crl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentNullException.ThrowIfNull(ca);
        var tag = HomeIdentity.CaTag(ca);
        lock (s_gate)
        {
            CertificateFile.Write(Path.Combine(Directory, tag + ".crt"), ca);
            if (crl is not null)
            {
                SecureFile.Write(Path.Combine(Directory, tag + ".crl"), PemFile.Encode("X509 CRL", crl), secret: false);
            }

            var entries = Load();
            entries[host.ToLowerInvariant()] = tag;
            Save(entries);
        }

        return Lookup(host)!;
    }

    /// <summary>Unbinds <paramref name="host"/> (its CA file stays for other hosts); true when it was bound.</summary>
    public bool Forget(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        lock (s_gate)
        {
            var entries = Load();
            if (!entries.Remove(host.ToLowerInvariant()))
            {
                return false;
            }

            Save(entries);
            return true;
        }
    }

    /// <summary>The binding for <paramref name="host"/>, or null.</summary>
    public ServerBinding? Lookup(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        lock (s_gate)
        {
            return Load().TryGetValue(host.ToLowerInvariant(), out var tag)
                ? new ServerBinding(host.ToLowerInvariant(), tag, Path.Combine(Directory, tag + ".crt"), Path.Combine(Directory, tag + ".crl"))
                : null;
        }
    }

    /// <summary>All bindings.</summary>
    public IReadOnlyList<ServerBinding> All()
    {
        lock (s_gate)
        {
            return Load().Select(e => new ServerBinding(e.Key, e.Value, Path.Combine(Directory, e.Value + ".crt"), Path.Combine(Directory, e.Value + ".crl"))).ToList();
        }
    }

    /// <summary>
    /// True when the CRL copy of <paramref name="binding"/> should be fetched again: there is none, it was fetched longer
    /// than <paramref name="maxAge"/> ago (default <see cref="CrlMaxAge"/>), or its next-update time has passed.
    /// </summary>
    public bool IsCrlStale(ServerBinding binding, TimeSpan? maxAge = null)
    {
        ArgumentNullException.ThrowIfNull(binding);
        if (!File.Exists(binding.CrlPath))
        {
            return true;
        }

        var now = home.Time.GetUtcNow();
        if (now - File.GetLastWriteTimeUtc(binding.CrlPath) > (maxAge ?? CrlMaxAge))
        {
            return true;
        }

        try
        {
            return RevocationList.Read(binding.CrlPath).NextUpdate is { } next && next <= now;
        }
        catch (IdentityFileException)
        {
            return true;
        }
    }

    /// <summary>
    /// Stores a CRL fetched for <paramref name="binding"/> after checking it: signed by the CA joined for that host, and
    /// not older than the copy held (an older list, replayed, is refused). Written to a temporary file, then moved into
    /// place; an unchanged list only marks the copy as fetched now. Throws <see cref="TrustException"/> when it does not check out.
    /// </summary>
    public void StoreCrl(ServerBinding binding, RevocationList crl)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(crl);
        using (var ca = CertificateFile.Read(binding.CaCertificatePath))
        {
            if (!crl.IsSignedBy(ca))
            {
                throw new TrustException(TrustFailureReason.UntrustedIssuer, $"The revocation list for {binding.Host} is not signed by the CA this home joined for it.");
            }
        }

        lock (s_gate)
        {
            if (File.Exists(binding.CrlPath))
            {
                var held = RevocationList.Read(binding.CrlPath);
                var older = held.CrlNumber is { } heldNumber && crl.CrlNumber is { } number ? number < heldNumber : crl.ThisUpdate < held.ThisUpdate;
                if (older)
                {
                    throw new TrustException(TrustFailureReason.Malformed,
                        $"The server at {binding.Host} sent a revocation list older than the one this home holds (issued {crl.ThisUpdate.UtcDateTime:yyyy-MM-dd HH:mm} UTC, held {held.ThisUpdate.UtcDateTime:yyyy-MM-dd HH:mm} UTC).");
                }

                if (held.RawData.AsSpan().SequenceEqual(crl.RawData))
                {
                    File.SetLastWriteTimeUtc(binding.CrlPath, home.Time.GetUtcNow().UtcDateTime);
                    return;
                }
            }

            SecureFile.Write(binding.CrlPath, PemFile.Encode("X509 CRL", crl.RawData), secret: false);
            File.SetLastWriteTimeUtc(binding.CrlPath, home.Time.GetUtcNow().UtcDateTime);
        }
    }

    /// <summary>
    /// The server verifier for a bound host (its CA and CRL), or null when the host is not bound. A server whose
    /// certificate is not from that CA is refused with a message saying it is not the server this home joined.
    /// </summary>
    public IPeerVerifier? VerifierFor(string host) =>
        Lookup(host) is { } binding ? new JoinedServerVerifier(binding, CaVerifierFor(binding)) : null;

    /// <summary>The plain CA verifier (its CRL included) of a bound host, or null when the host is not bound.</summary>
    public CaVerifier? CaVerifierFor(string host) => Lookup(host) is { } binding ? CaVerifierFor(binding) : null;

    private static CaVerifier CaVerifierFor(ServerBinding binding) =>
        CaVerifier.FromFiles(binding.CaCertificatePath, File.Exists(binding.CrlPath) ? binding.CrlPath : null);

    private sealed class JoinedServerVerifier(ServerBinding binding, CaVerifier inner) : IPeerVerifier
    {
        public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
        {
            try
            {
                return inner.Verify(credential, context);
            }
            catch (TrustException e) when (e.Reason == TrustFailureReason.Revoked && File.Exists(binding.CaCertificatePath))
            {
                string ca;
                using (var certificate = CertificateFile.Read(binding.CaCertificatePath))
                {
                    ca = $"\"{HomeIdentity.CommonName(certificate)}\"";
                }

                var serial = credential.IsRawPublicKey ? "" : " " + SerialOf(credential.CertificateChain[0]);
                throw new TrustException(e.Reason,
                    $"the server at {binding.Host} presents a certificate (serial{serial}) that its CA {ca} has revoked; do not use it: the server needs a new certificate (on the CA's machine: safewire invite NAME --server, then safewire join CODE on the server)", e);
            }
            catch (TrustException e) when (e.Reason is TrustFailureReason.UntrustedIssuer or TrustFailureReason.UnknownKey && File.Exists(binding.CaCertificatePath))
            {
                string ca;
                using (var certificate = CertificateFile.Read(binding.CaCertificatePath))
                {
                    ca = $"\"{HomeIdentity.CommonName(certificate)}\" {Fingerprint.Of(certificate.PublicKey.ExportSubjectPublicKeyInfo())}";
                }

                throw new TrustException(e.Reason,
                    $"THE SERVER AT {binding.Host} HAS CHANGED: its certificate is not from the CA {ca} this home joined for it. If the server was reinstalled, join it again with a new code from safewire invite; otherwise someone else is answering at that address.", e);
            }
        }
    }

    private static string SerialOf(byte[] der)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        return certificate.SerialNumber;
    }

    private void Save(Dictionary<string, string> entries)
    {
        var text = new StringBuilder("# SafeWire: servers vouched for by a CA this home joined: HOST CA\n");
        foreach (var (h, t) in entries)
        {
            text.Append(h).Append(' ').Append(t).Append('\n');
        }

        SecureFile.WriteText(ServersPath, text.ToString(), secret: false);
    }

    private Dictionary<string, string> Load()
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(ServersPath))
        {
            return entries;
        }

        foreach (var raw in File.ReadAllLines(ServersPath, Encoding.UTF8))
        {
            var parts = raw.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0][0] != '#')
            {
                entries[parts[0]] = parts[1];
            }
        }

        return entries;
    }
}
