using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SafeWire.Identity;

/// <summary>
/// The data directory ("home") and its fixed file names, which scripts can rely on:
/// <code>
/// &lt;home&gt;/ca/ca.crt, ca/ca.key, ca/crl.pem   the local CA, its key (0600) and CRL
/// &lt;home&gt;/certs/NAME.crt, certs/NAME.key       issued certificates and their keys
/// &lt;home&gt;/keys/NAME.key, keys/NAME.pub         named key pairs; keys/node.key is this node's identity
/// &lt;home&gt;/allowed.txt                          the allow-list of client keys (server side)
/// &lt;home&gt;/known_hosts                          servers' keys seen before (client side, TOFU)
/// &lt;home&gt;/clients.jsonl                        clients the server has seen
/// </code>
/// Everything is created only when absent and reused afterwards. Creation is serialised across processes
/// with a lock file, so a server and its clients can start together on one home.
/// </summary>
public sealed class SafeWireHome
{
    /// <summary>The environment variable that names the home directory when no path is given (<c>SAFEWIRE_HOME</c>).</summary>
    public const string EnvironmentVariable = "SAFEWIRE_HOME";
    /// <summary>The name of this node's own key pair in <c>keys/</c> (<c>node</c>): its identity for key-based trust.</summary>
    public const string NodeKeyName = "node";
    /// <summary>The subject name given to a home CA created on first use.</summary>
    public const string DefaultCaName = "SafeWire Local CA";


    /// <summary>
    /// Opens the home at <paramref name="root"/>; nothing is created until a key, CA or certificate is first asked for.
    /// <paramref name="time"/> is the clock for validity checks (the system clock when null).
    /// </summary>
    public SafeWireHome(string root, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        Time = time ?? TimeProvider.System;
    }

    /// <summary>The full path of the home directory.</summary>
    public string Root { get; }

    /// <summary>The clock used for certificate validity and "first seen" times.</summary>
    public TimeProvider Time { get; }

    /// <summary>The folder of the home CA (<c>ca/</c>): certificate, private key and CRL.</summary>
    public string CaDirectory => Path.Combine(Root, "ca");

    /// <summary>The home CA's certificate (<c>ca/ca.crt</c>): give it to peers that should trust certificates from this home.</summary>
    public string CaCertificatePath => Path.Combine(CaDirectory, CertificateAuthority.CertificateFileName);

    /// <summary>The home CA's private key (<c>ca/ca.key</c>, readable by the owner only).</summary>
    public string CaKeyPath => Path.Combine(CaDirectory, CertificateAuthority.KeyFileName);

    /// <summary>The home CA's revocation list (<c>ca/crl.pem</c>), checked by <see cref="CreateCaVerifier"/>.</summary>
    public string CrlPath => Path.Combine(CaDirectory, CertificateAuthority.CrlFileName);

    /// <summary>The folder of certificates issued by the home CA and their keys (<c>certs/</c>).</summary>
    public string CertsDirectory => Path.Combine(Root, "certs");

    /// <summary>The folder of named key pairs (<c>keys/</c>).</summary>
    public string KeysDirectory => Path.Combine(Root, "keys");

    /// <summary>This node's private key (<c>keys/node.key</c>).</summary>
    public string NodeKeyPath => KeyPath(NodeKeyName);

    /// <summary>This node's public key (<c>keys/node.pub</c>), to hand to peers that pin keys.</summary>
    public string NodePublicKeyPath => PublicKeyPath(NodeKeyName);

    /// <summary>The allow-list of client keys a server accepts (<c>allowed.txt</c>), read by <see cref="CreateAllowListVerifier"/>.</summary>
    public string AllowListPath => Path.Combine(Root, AllowListFileName);

    /// <summary>The file name of a home's allow-list.</summary>
    internal const string AllowListFileName = "allowed.txt";

    /// <summary>The servers' keys a client has seen before (<c>known_hosts</c>), read by <see cref="CreateKnownHostsVerifier"/>.</summary>
    public string KnownHostsPath => Path.Combine(Root, "known_hosts");

    /// <summary>The log of clients a server has seen (<c>clients.jsonl</c>).</summary>
    public string ClientRegistryPath => Path.Combine(Root, "clients.jsonl");

    /// <summary>True when the home already holds a CA (its certificate or key exists).</summary>
    public bool HasCa => CertificateAuthority.Exists(CaDirectory);

    /// <summary>--home if given, else $SAFEWIRE_HOME, else ~/.safewire.</summary>
    public static SafeWireHome Resolve(string? explicitHome, TimeProvider? time = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitHome))
        {
            return new SafeWireHome(explicitHome, time);
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new SafeWireHome(fromEnvironment, time);
        }

        return new SafeWireHome(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".safewire"), time);
    }

    /// <summary>The path of the certificate issued under <paramref name="name"/> (<c>certs/NAME.crt</c>).</summary>
    public string CertificatePath(string name) => Path.Combine(CertsDirectory, CheckName(name) + ".crt");

    /// <summary>The path of the private key of that certificate (<c>certs/NAME.key</c>).</summary>
    public string CertificateKeyPath(string name) => Path.Combine(CertsDirectory, CheckName(name) + ".key");

    /// <summary>The path of the named private key (<c>keys/NAME.key</c>).</summary>
    public string KeyPath(string name) => Path.Combine(KeysDirectory, CheckName(name) + ".key");

    /// <summary>The path of the named public key (<c>keys/NAME.pub</c>).</summary>
    public string PublicKeyPath(string name) => Path.Combine(KeysDirectory, CheckName(name) + ".pub");

    /// <summary>Loads the home's CA, creating it (and an empty CRL) when absent.</summary>
    public CertificateAuthority LoadOrCreateCa(ReadOnlySpan<char> password = default, string name = DefaultCaName, int days = CertificateAuthority.DefaultCaDays, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256)
    {
        using var _ = Lock();
        return HasCa
            ? CertificateAuthority.Load(CaDirectory, password)
            : CertificateAuthority.Create(CaDirectory, name, Time.GetUtcNow(), days, algorithm, password);
    }

    /// <summary>Loads a named key pair from <c>keys/NAME.key</c>, creating it (and <c>NAME.pub</c>) when absent.</summary>
    public AsymmetricAlgorithm LoadOrCreateKey(string name, out bool created, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256, ReadOnlySpan<char> password = default)
    {
        var path = KeyPath(name);
        using var _ = Lock();
        if (File.Exists(path))
        {
            created = false;
            return KeyFile.ReadPrivateKey(path, password);
        }

        var key = KeyFile.Generate(algorithm);
        SecureFile.CreateDirectory(KeysDirectory, secret: true);
        KeyFile.WritePrivateKey(path, key, password);
        KeyFile.WritePublicKey(PublicKeyPath(name), key);
        created = true;
        return key;
    }

    /// <summary>
    /// This server's credential <c>certs/NAME.crt</c> + <c>NAME.key</c>, issued by the home CA (created if absent; a new
    /// one is for the home's identity key, <c>keys/node.key</c>, so servers and clients of a home show one fingerprint).
    /// Created only when absent; reused after. The certificate (not the key) is re-issued when it has expired,
    /// is not a server certificate, or is not from the home CA, and, when SafeWire issued it itself (a
    /// <c>NAME.crt.auto</c> marker beside it), when the names asked for differ from the names it carries.
    /// A certificate issued by hand (no marker) is never re-issued for its names.
    /// </summary>
    public LocalCredential LoadOrCreateServerCredential(string name, IEnumerable<string> dnsNames, IEnumerable<IPAddress> ips, ReadOnlySpan<char> caPassword = default)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(ips);
        var request = new LeafRequest(name, PeerRole.Server) { DnsNames = dnsNames.ToList(), IpAddresses = ips.ToList() };
        return LoadOrCreateCredential(request, caPassword);
    }

    /// <summary>This client's credential <c>certs/NAME.crt</c> + <c>NAME.key</c> (subject CN = name), as for servers.</summary>
    public LocalCredential LoadOrCreateClientCredential(string name, ReadOnlySpan<char> caPassword = default) =>
        LoadOrCreateCredential(new LeafRequest(name, PeerRole.Client), caPassword);

    /// <summary>A CA verifier over the home's CA certificate and CRL (creating the CA when absent).</summary>
    public CaVerifier CreateCaVerifier()
    {
        if (!HasCa)
        {
            LoadOrCreateCa().Dispose();
        }

        return CaVerifier.FromFiles(CaCertificatePath, CrlPath);
    }

    /// <summary>A verifier that accepts the keys listed in <see cref="AllowListPath"/>; edits to the file apply to the next handshake.</summary>
    public AllowListVerifier CreateAllowListVerifier() => new(AllowListPath);

    /// <summary>A trust-on-first-use verifier over <see cref="KnownHostsPath"/>, kept per host (or per <c>host:port</c> when <paramref name="port"/> is given).</summary>
    public KnownHostsVerifier CreateKnownHostsVerifier(int? port = null) => new(KnownHostsPath, port);

    internal ClientRegistry OpenClientRegistry() => new(ClientRegistryPath);

    /// <summary>Names become file names: letters, digits, '.', '_', '-', not starting with '.'.</summary>
    public static string CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 64 || name[0] == '.' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new ArgumentException($"\"{name}\" is not a usable name: 1-64 letters, digits, '.', '_' or '-', not starting with '.'.", nameof(name));
        }

        return name;
    }

    /// <summary>
    /// The key of a new credential. A server's is the home's identity key (<c>keys/node.key</c>, created when absent), so
    /// the fingerprint <c>safewire id</c> prints is the one its clients see; an identity key kept under a password cannot
    /// be read unattended, so such a home's server gets a key of its own, as every server did before.
    /// </summary>
    private AsymmetricAlgorithm NewCredentialKey(PeerRole role)
    {
        if (role == PeerRole.Server)
        {
            try
            {
                return File.Exists(NodeKeyPath) ? KeyFile.ReadPrivateKey(NodeKeyPath) : CreateNodeKey();
            }
            catch (IdentityFileException e) when (e.Error == IdentityFileError.PasswordRequired)
            {
                // Falls through to a key of the server's own.
            }
        }

        return KeyFile.Generate(KeyAlgorithm.EcdsaP256);
    }

    /// <summary>Creates <c>keys/node.key</c> and its <c>.pub</c>; the caller holds the home's lock.</summary>
    private AsymmetricAlgorithm CreateNodeKey()
    {
        var key = KeyFile.Generate(KeyAlgorithm.EcdsaP256);
        SecureFile.CreateDirectory(KeysDirectory, secret: true);
        KeyFile.WritePrivateKey(NodeKeyPath, key);
        KeyFile.WritePublicKey(NodePublicKeyPath, key);
        return key;
    }

    private LocalCredential LoadOrCreateCredential(LeafRequest request, ReadOnlySpan<char> caPassword)
    {
        var certificatePath = CertificatePath(request.Name);
        var keyPath = CertificateKeyPath(request.Name);
        using var _ = Lock();
        AsymmetricAlgorithm? key = null;
        X509Certificate2? certificate = null;
        try
        {
            var keyExisted = File.Exists(keyPath);
            key = keyExisted ? KeyFile.ReadPrivateKey(keyPath) : NewCredentialKey(request.Role);
            var autoMarker = certificatePath + ".auto";
            if (keyExisted && File.Exists(certificatePath))
            {
                certificate = CertificateFile.Read(certificatePath);
                // A certificate someone issued by hand (no marker) is kept even when it lacks names this run would add:
                // only a certificate SafeWire issued itself is re-issued when the names asked for change.
                if (!IsUsable(certificate, key, request, checkNames: File.Exists(autoMarker)))
                {
                    certificate.Dispose();
                    certificate = null;
                }
            }

            if (certificate is null)
            {
                if (!keyExisted)
                {
                    SecureFile.CreateDirectory(CertsDirectory, secret: true);
                    KeyFile.WritePrivateKey(keyPath, key);
                }

                using var ca = HasCa ? CertificateAuthority.Load(CaDirectory, caPassword) : CertificateAuthority.Create(CaDirectory, DefaultCaName, Time.GetUtcNow());
                certificate = ca.Issue(request, key, Time.GetUtcNow());
                CertificateFile.Write(certificatePath, certificate);
                SecureFile.WriteText(autoMarker, "# issued automatically by safewire for the addresses the server listened on and its --dns names; it re-issues this certificate when they change. Delete this file to keep a certificate you issue by hand.\n", secret: false);
            }

            return LocalCredential.FromCertificate(certificate, key);
        }
        catch
        {
            key?.Dispose();
            certificate?.Dispose();
            throw;
        }
    }

    private bool IsUsable(X509Certificate2 certificate, AsymmetricAlgorithm key, LeafRequest request, bool checkNames)
    {
        if (!CryptographicOperations.FixedTimeEquals(certificate.PublicKey.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfo()) || !HasCa)
        {
            return false;
        }

        try
        {
            var verifier = CaVerifier.FromFiles(CaCertificatePath, CrlPath);
            var identity = verifier.Verify(PeerCredential.FromCertificateChain([certificate.RawData]), new PeerVerificationContext(request.Role, null, Time.GetUtcNow()));
            identity.Certificate?.Dispose();
        }
        catch (TrustException)
        {
            return false;
        }

        if (!checkNames)
        {
            return true;
        }

        // An auto-issued certificate names exactly what was asked for: a name added or dropped (a new --dns, an
        // address gone from an interface) re-issues it, so it never keeps vouching for a name the server gave up.
        var names = CaVerifier.SubjectAltNames(certificate).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var wanted = request.DnsNames.Concat(request.IpAddresses.Select(ip => ip.ToString())).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return names.SetEquals(wanted);
    }

    /// <summary>An exclusive lock on <c>&lt;home&gt;/.lock</c> (advisory, across processes), polled until a timeout.</summary>
    private FileStream Lock()
    {
        SecureFile.CreateDirectory(Root, secret: true);
        return FileLock.Acquire(Path.Combine(Root, ".lock"));
    }
}
