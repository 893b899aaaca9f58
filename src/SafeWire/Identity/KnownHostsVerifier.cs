using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SafeWire.Identity;

/// <summary>
/// Trust on first use, the OpenSSH way: the first key a host presents is recorded in the known-hosts file;
/// later connections must present the same key, or are refused with <see cref="TrustFailureReason.HostKeyChanged"/>.
/// File format, one host per line: <c>HOST[:PORT] SHA256:&lt;fingerprint&gt; [first-seen ISO 8601]</c>; <c>#</c> comments.
/// Thread-safe within a process; the file is rewritten atomically.
/// </summary>
public sealed class KnownHostsVerifier : IPeerVerifier
{
    private readonly string _path;
    private readonly int? _port;
    private readonly object _gate = new();

    /// <param name="path">The known-hosts file (created on first use).</param>
    /// <param name="port">When given, entries are kept per <c>host:port</c>, else per host.</param>
    public KnownHostsVerifier(string path, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        _path = Path.GetFullPath(path);
        _port = port;
    }

    /// <summary>The full path of the known-hosts file this verifier reads and appends to.</summary>
    public string FilePath => _path;

    /// <inheritdoc/>
    public PeerIdentity Verify(PeerCredential credential, PeerVerificationContext context)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var host = context.ExpectedName
            ?? throw new TrustException(TrustFailureReason.UnknownKey, "Known-hosts trust needs the host name the client dialled.");
        var key = HostKey(host);
        var fingerprint = Fingerprint.Of(credential.SubjectPublicKeyInfo);
        lock (_gate)
        {
            var entries = Load();
            if (entries.TryGetValue(key, out var known))
            {
                if (!string.Equals(known.Fingerprint, fingerprint, StringComparison.Ordinal))
                {
                    throw new TrustException(TrustFailureReason.HostKeyChanged,
                        $"WARNING: THE KEY OF {key} HAS CHANGED! It was {known.Fingerprint}, now it is {fingerprint}. " +
                        $"Someone could be intercepting the connection. If the change is expected, run: safewire known-hosts forget {key}");
                }
            }
            else
            {
                entries[key] = new KnownHost(key, fingerprint, context.Now);
                Save(entries.Values);
            }
        }

        X509Certificate2? certificate = credential.IsRawPublicKey ? null : X509CertificateLoader.LoadCertificate(credential.CertificateChain[0]);
        return new PeerIdentity(host, fingerprint, credential.SubjectPublicKeyInfo, certificate);
    }

    /// <summary>The recorded fingerprint for a host, or null when it was never seen.</summary>
    public string? Lookup(string host)
    {
        lock (_gate)
        {
            return Load().TryGetValue(HostKey(host), out var known) ? known.Fingerprint : null;
        }
    }

    /// <summary>Every recorded host, in file order.</summary>
    internal IReadOnlyList<KnownHostEntry> Entries()
    {
        lock (_gate)
        {
            return Load().Values.Select(k => new KnownHostEntry(k.Host, k.Fingerprint, k.FirstSeen == DateTimeOffset.MinValue ? null : k.FirstSeen)).ToList();
        }
    }

    /// <summary>Forgets a host (after a legitimate key change); true when it was known.</summary>
    public bool Forget(string host)
    {
        lock (_gate)
        {
            var entries = Load();
            if (!entries.Remove(HostKey(host)))
            {
                return false;
            }

            Save(entries.Values);
            return true;
        }
    }

    private string HostKey(string host) =>
        (_port is { } port ? host + ":" + port.ToString(CultureInfo.InvariantCulture) : host).ToLowerInvariant();

    private Dictionary<string, KnownHost> Load()
    {
        var entries = new Dictionary<string, KnownHost>(StringComparer.Ordinal);
        if (!File.Exists(_path))
        {
            return entries;
        }

        var number = 0;
        foreach (var raw in File.ReadAllLines(_path, Encoding.UTF8))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !AllowList.IsFingerprint(parts[1]))
            {
                throw new TrustException(TrustFailureReason.Malformed, $"{_path}:{number}: expected \"HOST[:PORT] SHA256:<fingerprint> [first-seen]\"");
            }

            var seen = parts.Length > 2 && DateTimeOffset.TryParse(parts[2], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;
            entries[parts[0].ToLowerInvariant()] = new KnownHost(parts[0].ToLowerInvariant(), parts[1], seen);
        }

        return entries;
    }

    private void Save(IEnumerable<KnownHost> entries)
    {
        var text = new StringBuilder("# SafeWire known hosts: HOST[:PORT] SHA256:<fingerprint> first-seen\n");
        foreach (var entry in entries)
        {
            text.Append(entry.Host).Append(' ').Append(entry.Fingerprint).Append(' ')
                .Append(entry.FirstSeen.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).Append('\n');
        }

        SecureFile.WriteText(_path, text.ToString(), secret: false);
    }

    private sealed record KnownHost(string Host, string Fingerprint, DateTimeOffset FirstSeen);
}

/// <summary>One line of a known-hosts file.</summary>
/// <param name="Host">HOST or HOST:PORT, lower case.</param>
/// <param name="Fingerprint">The recorded key, <c>SHA256:…</c>.</param>
/// <param name="FirstSeen">When it was first seen, when recorded.</param>
internal sealed record KnownHostEntry(string Host, string Fingerprint, DateTimeOffset? FirstSeen);
