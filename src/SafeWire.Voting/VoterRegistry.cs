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

    private readonly Dictionary<string, byte[]> _keys;

    private VoterRegistry(Dictionary<string, byte[]> keys)
    {
        _keys = keys;
    }

    /// <summary>How many voters are registered.</summary>
    public int Count => _keys.Count;

    /// <summary>The registered voter IDs.</summary>
    public IEnumerable<string> VoterIds => _keys.Keys;

    /// <summary>True when <paramref name="voterId"/> is on the list.</summary>
    public bool IsRegistered(string voterId) => _keys.ContainsKey(voterId);

    /// <summary>The registered SPKI of <paramref name="voterId"/>, or null.</summary>
    public byte[]? PublicKeyOf(string voterId) => _keys.GetValueOrDefault(voterId);

    /// <summary>Reads a voters.csv; throws <see cref="VotingException"/> naming the first bad line.</summary>
    public static VoterRegistry Load(string path)
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
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

        return new VoterRegistry(keys);
    }

    /// <summary>
    /// Registers <paramref name="voterIds"/> with a fresh key pair each and returns their credentials. The whole
    /// registry file is rewritten atomically; nothing is registered if any ID is invalid or taken.
    /// </summary>
    /// <param name="caCertificatePem">The CA that issues the voting server's certificate, put in each credential.</param>
    public static IReadOnlyList<VoterCredential> Register(ElectionFiles election, IReadOnlyCollection<string> voterIds, string? caCertificatePem = null)
    {
        var registry = election.LoadVoters();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in voterIds)
        {
            Identifiers.EnsureValid(id, "voter ID");
            if (registry.IsRegistered(id) || !seen.Add(id))
            {
                throw new VotingException($"Voter \"{id}\" is already registered in election \"{election.Definition.Name}\".");
            }
        }

        var electionKey = File.ReadAllText(election.ElectionPublicKeyPath);
        var receiptKey = File.ReadAllText(election.ReceiptPublicKeyPath);
        var credentials = new List<VoterCredential>(voterIds.Count);
        var text = new StringBuilder(File.ReadAllText(election.VotersPath));
        foreach (var id in voterIds)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var spki = key.ExportSubjectPublicKeyInfo();
            text.Append(id).Append(',').Append(Fingerprint.Of(spki)).Append(',').Append(Convert.ToBase64String(spki)).Append('\n');
            credentials.Add(new VoterCredential
            {
                Election = election.Definition.Name,
                VoterId = id,
                PrivateKey = key.ExportPkcs8PrivateKeyPem(),
                ElectionKey = electionKey,
                ReceiptKey = receiptKey,
                CaCertificate = caCertificatePem,
            });
        }

        SecureFile.WriteAllText(election.VotersPath, text.ToString(), isPrivate: false);
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
