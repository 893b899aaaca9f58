using System.Text;
using System.Text.Json;

namespace SafeWire.Voting.Verifiable;

/// <summary>
/// A verifiable election's folder, <c>&lt;home&gt;/elections/&lt;name&gt;/</c>: verifiable.json (the public election:
/// parameters, manifest, n, k, and after the key ceremony the joint key), guardians.json (the guardians' public keys),
/// voters.csv (registered voter keys), ballots.db (SQLite) and, after close, record/ (the record without decryption).
/// Nothing in it can decrypt a ballot: the guardians' secrets live only in the guardians' own homes.
/// </summary>
public sealed class VerifiableElectionFiles
{
    private VerifiableElectionFiles(string directory, ElectionRecordJson election)
    {
        Directory = directory;
        Election = election;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The public election description.</summary>
    public ElectionRecordJson Election { get; private set; }

    /// <summary>The election's name.</summary>
    public string Name => Election.Manifest.Name;

    /// <summary>verifiable.json.</summary>
    public string ElectionPath => Path.Combine(Directory, "verifiable.json");

    /// <summary>guardians.json.</summary>
    public string GuardiansPath => Path.Combine(Directory, ElectionRecord.GuardiansFile);

    /// <summary>voters.csv.</summary>
    public string VotersPath => Path.Combine(Directory, "voters.csv");

    /// <summary>ballots.db.</summary>
    public string DatabasePath => Path.Combine(Directory, "ballots.db");

    /// <summary>record/: written by close (without decryption), completed by publish.</summary>
    public string RecordPath => Path.Combine(Directory, "record");

    /// <summary>True when <paramref name="name"/> is a verifiable election in <paramref name="home"/>.</summary>
    public static bool Exists(string home, string name) =>
        Identifiers.IsValid(name) && File.Exists(Path.Combine(ElectionFiles.DirectoryFor(home, name), "verifiable.json"));

    /// <summary>Creates the folder; refuses when an election of that name exists in either mode.</summary>
    public static VerifiableElectionFiles Create(string home, ElectionRecordJson election)
    {
        var directory = ElectionFiles.DirectoryFor(home, election.Manifest.Name);
        if (File.Exists(Path.Combine(directory, "verifiable.json")) || File.Exists(Path.Combine(directory, "election.json")))
        {
            throw new VotingException($"Election \"{election.Manifest.Name}\" already exists in {directory}.");
        }

        System.IO.Directory.CreateDirectory(directory);
        var files = new VerifiableElectionFiles(directory, election);
        SecureFile.WriteAllText(files.VotersPath, VoterRegistry.Header, isPrivate: false);
        files.Save(election);
        return files;
    }

    /// <summary>Opens an existing verifiable election.</summary>
    public static VerifiableElectionFiles Open(string home, string name)
    {
        var directory = ElectionFiles.DirectoryFor(home, name);
        var path = Path.Combine(directory, "verifiable.json");
        if (!File.Exists(path))
        {
            throw new VotingException($"No verifiable election \"{name}\" in {Path.Combine(home, "elections")} (create it with: safewire vote init {name} --verifiable ...).");
        }

        var election = ElectionRecord.ReadElection(path);
        if (election.Format == VerifiableFormats.ElectionV1)
        {
            throw new VotingException($"Election \"{name}\" was made in the first verifiable format (two ciphertexts and three proofs per candidate), which this version no longer runs: make it again with safewire vote init {name} --verifiable.");
        }

        var problem = ElectionSetup.CheckPublicPart(election) ?? (election.Manifest.Name != name ? "another election's name" : null);
        if (problem is not null)
        {
            throw new VotingException($"{path} is damaged: {problem}.");
        }

        return new VerifiableElectionFiles(directory, election);
    }

    /// <summary>Replaces verifiable.json (atomically).</summary>
    public void Save(ElectionRecordJson election)
    {
        SecureFile.WriteAllText(ElectionPath, JsonSerializer.Serialize(election, VerifiableJson.Default.ElectionRecordJson), isPrivate: false);
        Election = election;
    }

    /// <summary>Ends the key ceremony: checks every guardian key, stores them and the joint key.</summary>
    public void SetJointKey(IReadOnlyList<GuardianPublicKeyJson> keys)
    {
        if (Election.JointKey is not null)
        {
            throw new VotingException($"Election {Name} already has its joint key.");
        }

        var completed = ElectionSetup.WithJointKey(Election, keys);
        SecureFile.WriteAllText(GuardiansPath, JsonSerializer.Serialize(keys.OrderBy(k => k.Index).ToList(), VerifiableJson.Default.ListGuardianPublicKeyJson), isPrivate: false);
        Save(completed);
    }

    /// <summary>The guardians' public keys stored by <see cref="SetJointKey"/>.</summary>
    public List<GuardianPublicKeyJson> LoadGuardians() =>
        File.Exists(GuardiansPath) ? ElectionRecord.Read(GuardiansPath, VerifiableJson.Default.ListGuardianPublicKeyJson)
            : throw new VotingException($"Election {Name} has no guardian keys yet: run safewire vote joint-key {Name} --keys DIR.");

    /// <summary>The voter registry (the voters.csv format of the original design's mode).</summary>
    public VoterRegistry LoadVoters() => VoterRegistry.Load(VotersPath);

    /// <summary>Registers voters with fresh keys; returns their credentials (which carry the public election).</summary>
    public IReadOnlyList<VerifiableCredentialJson> Register(IReadOnlyCollection<string> voterIds, string? caCertificatePem)
    {
        if (Election.JointKey is null)
        {
            throw new VotingException($"Election {Name} has no joint key yet: finish the key ceremony first (safewire vote joint-key {Name} --keys DIR).");
        }

        return VoterRegistry.RegisterNew(VotersPath, Name, voterIds, (id, key) =>
            new VerifiableCredentialJson { VoterId = id, PrivateKey = key.ExportPkcs8PrivateKeyPem(), CaCertificate = caCertificatePem, Election = Election });
    }

    /// <summary>The registered voters as the record lists them.</summary>
    public List<VoterJson> VotersForRecord()
    {
        var registry = LoadVoters();
        return [.. registry.VoterIds.Order(StringComparer.Ordinal).Select(id => new VoterJson(id, Convert.ToBase64String(registry.PublicKeyOf(id)!)))];
    }
}

/// <summary>Reading and writing the verifiable mode's small JSON files (credentials, guardian files, receipts).</summary>
public static class VerifiableFiles
{
    /// <summary>Saves <paramref name="value"/> as JSON (atomically; private files 0600).</summary>
    public static void Save<T>(string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, bool isPrivate, bool overwrite = false) =>
        SecureFile.WriteAllText(path, JsonSerializer.Serialize(value, type), isPrivate, overwrite);

}

/// <summary>Typed access to the source-generated JSON contracts, for callers outside this assembly.</summary>
public static class VerifiableJsonTypes
{
    /// <summary>A guardian's public key.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<GuardianPublicKeyJson> GuardianKey => VerifiableJson.Default.GuardianPublicKeyJson;

    /// <summary>A guardian's secret.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<GuardianSecretJson> GuardianSecret => VerifiableJson.Default.GuardianSecretJson;

    /// <summary>An encrypted share.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<EncryptedShareJson> Share => VerifiableJson.Default.EncryptedShareJson;

    /// <summary>A partial decryption.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<PartialDecryptionJson> Partial => VerifiableJson.Default.PartialDecryptionJson;

    /// <summary>tally.json.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<TallyJson> Tally => VerifiableJson.Default.TallyJson;

    /// <summary>A voter credential.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<VerifiableCredentialJson> Credential => VerifiableJson.Default.VerifiableCredentialJson;

    /// <summary>A challenged ballot.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<ChallengedBallotJson> Challenge => VerifiableJson.Default.ChallengedBallotJson;

    /// <summary>A voter's receipt.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<CastReceiptJson> Receipt => VerifiableJson.Default.CastReceiptJson;

    /// <summary>The guardians' keys.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<List<GuardianPublicKeyJson>> GuardianKeys => VerifiableJson.Default.ListGuardianPublicKeyJson;

    /// <summary>The voters.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<List<VoterJson>> Voters => VerifiableJson.Default.ListVoterJson;
}
