using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using SafeWire.Identity;

namespace SafeWire.Voting;

/// <summary>
/// The voter list: voter ID → registered ECDSA P-256 public key (SPKI DER). Stored as voters.csv,
/// one <c>voter_id,fingerprint,spki_base64</c> line per voter. Only a key registered here can sign a counted ballot.
/// </summary>
public sealed class VoterRegistry
{
    internal const string Header = "# voter_id,fingerprint,public_key_spki_base64\n";

    /// <summary>Next to voters.csv: <c>voter_id,fingerprint</c> of each voter registered by joining with a code.</summary>
    public const string JoinedFileName = "joined-voters.csv";

    private static readonly object s_gate = new();
    private readonly ConcurrentDictionary<string, byte[]> _keys;
    private readonly ConcurrentDictionary<string, bool> _joined;

    private VoterRegistry(ConcurrentDictionary<string, byte[]> keys, ConcurrentDictionary<string, bool> joined)
    {
        _keys = keys;
        _joined = joined;
    }

    /// <summary>How many voters are registered.</summary>
    public int Count => _keys.Count;

    /// <summary>The registered voter IDs.</summary>
    public IEnumerable<string> VoterIds => _keys.Keys;

    /// <summary>True when <paramref name="voterId"/> is on the list.</summary>
    public bool IsRegistered(string voterId) => _keys.ContainsKey(voterId);

    /// <summary>
    /// True when <paramref name="voterId"/> was registered by joining the server's CA with a code: its key is certified,
    /// so the server admits it only on a connection where it presented that (unrevoked) certificate.
    /// </summary>
    public bool IsJoined(string voterId) => _joined.ContainsKey(voterId);

    /// <summary>The registered SPKI of <paramref name="voterId"/>, or null.</summary>
    public byte[]? PublicKeyOf(string voterId) => _keys.GetValueOrDefault(voterId);

    /// <summary>Reads voters.csv at <paramref name="path"/> (and the joined voters beside it); throws <see cref="VotingException"/> naming the first bad line.</summary>
    public static VoterRegistry Load(string path)
    {
        var keys = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split(',');
            byte[] spki;
            try
            {
                spki = parts.Length == 3 ? Convert.FromBase64String(parts[2]) : throw new FormatException("expected 3 fields");
            }
            catch (FormatException e)
            {
                throw new VotingException($"{path}:{lineNumber}: {e.Message}", e);
            }

            if (!Identifiers.IsValid(parts[0]) || Fingerprint.Of(spki) != parts[1] || !keys.TryAdd(parts[0], spki))
            {
                throw new VotingException($"{path}:{lineNumber}: bad or duplicate voter entry.");
            }
        }

        var joined = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var joinedPath = JoinedPath(path);
        if (File.Exists(joinedPath))
        {
            foreach (var raw in File.ReadLines(joinedPath))
            {
                var line = raw.Trim();
                if (line.Length > 0 && line[0] != '#')
                {
                    joined[line.Split(',')[0]] = true;
                }
            }
        }

        return new VoterRegistry(keys, joined);
    }

    /// <summary>Why <paramref name="spki"/> cannot be a voter key (null: it can): voters sign with ECDSA P-256.</summary>
    public static string? CheckVoterKey(byte[] spki)
    {
        ArgumentNullException.ThrowIfNull(spki);
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
            return key.ExportParameters(false).Curve.Oid.Value == ECCurve.NamedCurves.nistP256.Oid.Value
                ? null
                : "a voter's key must be ECDSA P-256";
        }
        catch (CryptographicException)
        {
            return "a voter's key must be ECDSA P-256";
        }
    }

    /// <summary>
    /// Registers <paramref name="voterId"/> with the key <paramref name="spki"/> of a machine that joined with a code:
    /// appended to voters.csv at <paramref name="votersPath"/> (rewritten atomically, keeping what others added) and
    /// to <see cref="JoinedFileName"/>, and served at once by this registry. Throws when the ID is taken.
    /// </summary>
    public void AddJoined(string votersPath, string voterId, byte[] spki)
    {
        Identifiers.EnsureValid(voterId, "voter ID");
        if (CheckVoterKey(spki) is { } problem)
        {
            throw new VotingException(problem + ".");
        }

        lock (s_gate)
        {
            using var fileLock = LockFor(votersPath);
            var current = Load(votersPath);
            if (current.IsRegistered(voterId) || IsRegistered(voterId))
            {
                throw new VotingException($"Voter \"{voterId}\" is already registered.");
            }

            var fingerprint = Fingerprint.Of(spki);
            var text = new StringBuilder(File.ReadAllText(votersPath));
            if (text.Length > 0 && text[^1] != '\n')
            {
                text.Append('\n');
            }

            text.Append(Line(voterId, spki));
            var joinedPath = JoinedPath(votersPath);
            var joined = new StringBuilder(File.Exists(joinedPath) ? File.ReadAllText(joinedPath) : "# voter_id,fingerprint (registered by joining with a code)\n");
            joined.Append(voterId).Append(',').Append(fingerprint).Append('\n');
            // The joined list first: a voter in voters.csv but not yet here could vote without its certificate.
            SecureFile.WriteAllText(joinedPath, joined.ToString(), isPrivate: false);
            SecureFile.WriteAllText(votersPath, text.ToString(), isPrivate: false);
            _joined[voterId] = true;
            _keys[voterId] = spki;
        }
    }

    /// <summary>
    /// The lock under which voters.csv is read, changed and rewritten: `vote register` and a running `vote serve` that
    /// registers joined machines are separate processes, and without it one rewrite could drop the other's new line.
    /// </summary>
    internal static FileStream LockFor(string votersPath) => FileLock.Acquire(Path.GetFullPath(votersPath) + ".lock");

    /// <summary>A voters.csv line: ID, key fingerprint, base64 SubjectPublicKeyInfo.</summary>
    private static string Line(string voterId, byte[] spki) => $"{voterId},{Fingerprint.Of(spki)},{Convert.ToBase64String(spki)}\n";

    private static string JoinedPath(string votersPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(votersPath))!, JoinedFileName);

    /// <summary>
    /// Registers <paramref name="voterIds"/> with a fresh key pair each and returns their credentials. The whole
    /// registry file is rewritten atomically; nothing is registered if any ID is invalid or taken.
    /// </summary>
    /// <param name="caCertificatePem">The CA that issues the voting server's certificate, put in each credential.</param>
    public static IReadOnlyList<VoterCredential> Register(ElectionFiles election, IReadOnlyCollection<string> voterIds, string? caCertificatePem = null)
    {
        ArgumentNullException.ThrowIfNull(election);
        var electionKey = File.ReadAllText(election.ElectionPublicKeyPath);
        var receiptKey = File.ReadAllText(election.ReceiptPublicKeyPath);
        return RegisterNew(election.VotersPath, election.Definition.Name, voterIds, (id, key) => new VoterCredential
        {
            Election = election.Definition.Name,
            VoterId = id,
            PrivateKey = key.ExportPkcs8PrivateKeyPem(),
            ElectionKey = electionKey,
            ReceiptKey = receiptKey,
            CaCertificate = caCertificatePem,
        });
    }

    /// <summary>
    /// Both modes' registration: under the file's lock, checks every ID (valid, not taken, not given twice), makes a
    /// P-256 key pair for each, appends its line to voters.csv (rewritten atomically) and returns what
    /// <paramref name="credential"/> makes of each ID and key. Nothing is registered if any ID fails.
    /// </summary>
    internal static List<T> RegisterNew<T>(string votersPath, string election, IReadOnlyCollection<string> voterIds, Func<string, ECDsa, T> credential)
    {
        using var fileLock = LockFor(votersPath);
        var registry = Load(votersPath);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in voterIds)
        {
            Identifiers.EnsureValid(id, "voter ID");
            if (registry.IsRegistered(id) || !seen.Add(id))
            {
                throw new VotingException($"Voter \"{id}\" is already registered in election \"{election}\".");
            }
        }

        var credentials = new List<T>(voterIds.Count);
        var text = new StringBuilder(File.ReadAllText(votersPath));
        foreach (var id in voterIds)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var spki = key.ExportSubjectPublicKeyInfo();
            text.Append(Line(id, spki));
            credentials.Add(credential(id, key));
        }

        SecureFile.WriteAllText(votersPath, text.ToString(), isPrivate: false);
        return credentials;
    }

    /// <summary>The next <paramref name="count"/> numeric voter IDs (the original design numbers its voters) not yet taken.</summary>
    public IReadOnlyList<string> NextNumericIds(int count)
    {
        var ids = new List<string>(count);
        for (var n = 1; ids.Count < count; n++)
        {
            var id = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!IsRegistered(id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }
}
