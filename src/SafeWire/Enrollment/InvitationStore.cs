using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SafeWire.Identity;

namespace SafeWire.Enrollment;

/// <summary>One invitation as the server keeps it: never the secret, only the public key it determines.</summary>
/// <param name="Id">The invitation id (hex), also inside the code.</param>
/// <param name="Name">The name the certificate will carry (CN) and the allow-list name.</param>
/// <param name="Role">"client" or "server".</param>
/// <param name="DnsNames">Server codes: DNS names for the certificate.</param>
/// <param name="IpAddresses">Server codes: IP addresses for the certificate.</param>
/// <param name="Verifier">Base64 SPKI of the key the secret determines (<see cref="JoinProof.Verifier"/>).</param>
/// <param name="Created">When it was made.</param>
/// <param name="Expires">After this, the code is refused.</param>
/// <param name="Used">When it was used, or null.</param>
/// <param name="UsedBy">The fingerprint of the key certified with it.</param>
internal sealed record Invitation(
    string Id,
    string Name,
    string Role,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<string> IpAddresses,
    string Verifier,
    DateTimeOffset Created,
    DateTimeOffset Expires,
    DateTimeOffset? Used = null,
    string? UsedBy = null);

/// <summary>
/// The server's invitations, <c>&lt;home&gt;/ca/invitations.jsonl</c> (one JSON object per line, 0600). Reads and
/// the check-and-mark-used step run under a process-wide lock and an exclusive file lock, so a code works once
/// even when two servers of the same home accept joins at the same moment.
/// </summary>
internal sealed class InvitationStore(string path)
{
    /// <summary>The file name inside the CA directory.</summary>
    public const string FileName = "invitations.jsonl";

    private static readonly object s_gate = new();

    /// <summary>The file.</summary>
    public string FilePath { get; } = Path.GetFullPath(path);

    /// <summary>Creates an invitation and returns its code (the only place the secret exists).</summary>
    public JoinCode Create(string name, PeerRole role, IReadOnlyList<string> dnsNames, IReadOnlyList<string> ipAddresses, string host, int port, string caFingerprint, DateTimeOffset now, TimeSpan lifetime)
    {
        SafeWireHome.CheckName(name);
        var id = RandomNumberGenerator.GetBytes(JoinCode.IdLength);
        var secret = RandomNumberGenerator.GetBytes(JoinCode.SecretLength);
        var pin = Convert.FromBase64String(Pad(caFingerprint[Fingerprint.Prefix.Length..]));
        var invitation = new Invitation(Convert.ToHexStringLower(id), name, role == PeerRole.Server ? "server" : "client", dnsNames, ipAddresses,
            Convert.ToBase64String(JoinProof.Verifier(secret, id)), now, now + lifetime);
        Update(list =>
        {
            list.Add(invitation);
            return true;
        });
        return new JoinCode(host, port, pin, id, secret);
    }

    /// <summary>All invitations, oldest first.</summary>
    public IReadOnlyList<Invitation> All() => Load();

    /// <summary>The invitation with this id, or null.</summary>
    public Invitation? Find(string id) => FindCommitted(id);

    /// <summary>True when at least one invitation is neither used nor expired.</summary>
    public bool AnyOpen(DateTimeOffset now) => File.Exists(FilePath) && All().Any(i => i.Used is null && i.Expires > now);

    /// <summary>
    /// Marks the invitation used by <paramref name="fingerprint"/> when it is still open; returns what it found
    /// (re-read under the lock), so the caller decides with the state it changed.
    /// </summary>
    public Invitation? TryConsume(string id, string fingerprint, DateTimeOffset now, out bool consumed)
    {
        Invitation? found = null;
        var did = false;
        Update(list =>
        {
            var index = list.FindIndex(i => string.Equals(i.Id, id, StringComparison.Ordinal));
            if (index < 0)
            {
                return false;
            }

            found = list[index];
            if (found.Used is null && found.Expires > now)
            {
                list[index] = found with { Used = now, UsedBy = fingerprint };
                did = true;
            }

            return did;
        });
        consumed = did;
        return found;
    }

    /// <summary>
    /// <see cref="TryConsume"/> for several invitations in one rewrite of the file (one flush): applied in order, so
    /// the same invitation twice in a batch is consumed by the first only. Returns, per request, what was found and
    /// whether this request consumed it.
    /// </summary>
    internal IReadOnlyList<(Invitation? Found, bool Consumed)> TryConsumeAll(IReadOnlyList<(string Id, string Fingerprint, DateTimeOffset Now)> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new (Invitation? Found, bool Consumed)[requests.Count];
        Update(list =>
        {
            var changed = false;
            var index = new Dictionary<string, int>(list.Count, StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
            {
                index.TryAdd(list[i].Id, i);
            }

            for (var r = 0; r < requests.Count; r++)
            {
                var (id, fingerprint, now) = requests[r];
                if (!index.TryGetValue(id, out var at))
                {
                    continue;
                }

                var found = list[at];
                var consumed = found.Used is null && found.Expires > now;
                if (consumed)
                {
                    list[at] = found with { Used = now, UsedBy = fingerprint };
                    changed = true;
                }

                results[r] = (found, consumed);
            }

            return changed;
        });
        return results;
    }

    /// <summary>
    /// The invitation with this id as last written, read without waiting for a writer (the file is replaced whole, never
    /// edited in place); whether it is still open is decided under the lock when it is consumed.
    /// </summary>
    internal Invitation? FindCommitted(string id) => _parsed.Use(snapshot => snapshot?.Find(id));

    /// <summary>Drops invitations that expired or were used more than a day ago.</summary>
    public int Prune(DateTimeOffset now)
    {
        var removed = 0;
        Update(list => (removed = list.RemoveAll(i => (i.Used ?? i.Expires) < now - TimeSpan.FromDays(1))) > 0);
        return removed;
    }

    /// <summary>
    /// Changes the list under both locks; <paramref name="change"/> returns whether it changed anything. A change rewrites
    /// the file (flushed) and keeps the new list as the parsed copy, so the next read does not parse it back.
    /// </summary>
    private void Update(Func<List<Invitation>, bool> change)
    {
        lock (s_gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            using var fileLock = LockFile();
            var before = _parsed.Use(snapshot => snapshot) ?? Snapshot.Empty;
            var list = new List<Invitation>(before.Items);
            if (!change(list))
            {
                return;
            }

            var after = before.With(list);
            SecureFile.Write(FilePath, after.Encode(), secret: true);
            _parsed.Set(after);
        }
    }

    private FileStream LockFile() => FileLock.Acquire(FilePath + ".lock");

    // Finding a code read and parsed the whole file for every join: the parsed list is kept until the file changes
    // (`safewire invite` in another process replaces it by rename); this store's own writes keep what they wrote.
    private readonly FileVersionCache<Snapshot> _parsed = new(Path.GetFullPath(path), Parse);

    /// <summary>Every invitation in the file, as a list the caller may change.</summary>
    private List<Invitation> Load() => _parsed.Use(snapshot => snapshot is null ? [] : new List<Invitation>(snapshot.Items));

    private static Snapshot Parse(string path)
    {
        var list = new List<Invitation>();

        var number = 0;
        foreach (var line in File.ReadAllLines(path, Encoding.UTF8))
        {
            number++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            try
            {
                list.Add(JsonSerializer.Deserialize(line, EnrollmentJson.Default.Invitation)
                    ?? throw new JsonException("null"));
            }
            catch (JsonException e)
            {
                throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}:{number}: not an invitation record ({e.Message})", e);
            }
        }

        return Snapshot.Empty.With(list);
    }

    /// <summary>
    /// The invitations as last read or written, never changed: the list, an index by id, and each record's line. A rewrite
    /// serializes only the records that changed (records are immutable, so an unchanged one is the same object).
    /// </summary>
    private sealed class Snapshot
    {
        private readonly Dictionary<string, Invitation> _byId;
        private readonly Dictionary<Invitation, byte[]> _lines;

        private Snapshot(List<Invitation> items, Dictionary<string, Invitation> byId, Dictionary<Invitation, byte[]> lines)
        {
            Items = items;
            _byId = byId;
            _lines = lines;
        }

        public static Snapshot Empty { get; } = new([], new(StringComparer.Ordinal), new(ReferenceEqualityComparer.Instance));

        public IReadOnlyList<Invitation> Items { get; }

        /// <summary>The first invitation with this id, or null.</summary>
        public Invitation? Find(string id) => _byId.GetValueOrDefault(id);

        /// <summary>A snapshot of <paramref name="items"/>, reusing this one's serialized line for every record it already holds.</summary>
        public Snapshot With(List<Invitation> items)
        {
            var byId = new Dictionary<string, Invitation>(items.Count, StringComparer.Ordinal);
            var lines = new Dictionary<Invitation, byte[]>(items.Count, ReferenceEqualityComparer.Instance);
            foreach (var invitation in items)
            {
                byId.TryAdd(invitation.Id, invitation);
                if (!lines.ContainsKey(invitation))
                {
                    lines[invitation] = _lines.GetValueOrDefault(invitation)
                        ?? JsonSerializer.SerializeToUtf8Bytes(invitation, EnrollmentJson.Default.Invitation);
                }
            }

            return new Snapshot(items, byId, lines);
        }

        /// <summary>The file's bytes: one JSON object per line.</summary>
        public byte[] Encode()
        {
            var length = 0;
            foreach (var invitation in Items)
            {
                length += _lines[invitation].Length + 1;
            }

            var bytes = new byte[length];
            var at = 0;
            foreach (var invitation in Items)
            {
                var line = _lines[invitation];
                line.CopyTo(bytes, at);
                bytes[at + line.Length] = (byte)'\n';
                at += line.Length + 1;
            }

            return bytes;
        }
    }

    private static string Pad(string base64) => base64.PadRight((base64.Length + 3) / 4 * 4, '=');
}

/// <summary>The join protocol's JSON: snake_case, nulls left out, generated at compile time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Invitation))]
[JsonSerializable(typeof(JoinMessage))]
internal sealed partial class EnrollmentJson : JsonSerializerContext;
