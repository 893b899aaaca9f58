using System.Security.Cryptography;
using System.Text.Json;

namespace SafeWire.Voting;

/// <summary>
/// An election's folder, <c>&lt;home&gt;/elections/&lt;name&gt;/</c>: election.json (the definition),
/// election-key.pem (RSA-3072 key that unwraps ballot session keys, 0600), receipt-key.pem (ECDSA P-256 key
/// that signs receipts, 0600), their .pub.pem halves, voters.csv (the registry) and, by default, election.db.
/// </summary>
public sealed class ElectionFiles
{
    /// <summary>Size of the RSA election key that unwraps ballot session keys.</summary>
    public const int ElectionKeyBits = 3072;

    private ElectionFiles(string directory, ElectionDefinition definition)
    {
        Directory = directory;
        Definition = definition;
    }

    /// <summary>The election's folder.</summary>
    public string Directory { get; }

    /// <summary>The election as election.json defines it.</summary>
    public ElectionDefinition Definition { get; }

    /// <summary>Path of election.json.</summary>
    public string DefinitionPath => Path.Combine(Directory, "election.json");

    /// <summary>Path of the election's private RSA key (readable by the owner only).</summary>
    public string ElectionKeyPath => Path.Combine(Directory, "election-key.pem");

    /// <summary>Path of the election's public RSA key, which voters encrypt ballot keys to.</summary>
    public string ElectionPublicKeyPath => Path.Combine(Directory, "election-key.pub.pem");

    /// <summary>Path of the private ECDSA key that signs receipts (readable by the owner only).</summary>
    public string ReceiptKeyPath => Path.Combine(Directory, "receipt-key.pem");

    /// <summary>Path of the public receipt key, which voters and auditors check receipts with.</summary>
    public string ReceiptPublicKeyPath => Path.Combine(Directory, "receipt-key.pub.pem");

    /// <summary>Path of voters.csv, the registered voters and their public keys.</summary>
    public string VotersPath => Path.Combine(Directory, "voters.csv");

    /// <summary>The default SQLite database when the definition names none.</summary>
    public string DefaultDatabasePath => Path.Combine(Directory, "election.db");

    /// <summary>What to open: the definition's database, else the SQLite file in this folder.</summary>
    public string DatabaseTarget => Definition.Database ?? DefaultDatabasePath;

    /// <summary>The folder of election <paramref name="name"/> under the SafeWire home <paramref name="home"/>; throws <see cref="VotingException"/> for an invalid name.</summary>
    public static string DirectoryFor(string home, string name)
    {
        Identifiers.EnsureValid(name, "election name");
        return Path.Combine(home, "elections", name);
    }

    /// <summary>Creates the folder with fresh keys and an empty voter list; refuses if the election exists.</summary>
    public static ElectionFiles Create(string home, ElectionDefinition definition) => Create(home, definition, null);

    /// <summary>Tests and benchmarks pass a ready-made <paramref name="electionKey"/>: RSA-3072 generation takes up to seconds.</summary>
    internal static ElectionFiles Create(string home, ElectionDefinition definition, RSA? electionKey)
    {
        definition.Validate();
        var directory = DirectoryFor(home, definition.Name);
        if (File.Exists(Path.Combine(directory, "election.json")))
        {
            throw new VotingException($"Election \"{definition.Name}\" already exists in {directory}.");
        }

        System.IO.Directory.CreateDirectory(directory);
        var files = new ElectionFiles(directory, definition);
        var rsa = electionKey ?? RSA.Create(ElectionKeyBits);
        try
        {
            SecureFile.WriteAllText(files.ElectionKeyPath, rsa.ExportPkcs8PrivateKeyPem(), isPrivate: true);
            SecureFile.WriteAllText(files.ElectionPublicKeyPath, rsa.ExportSubjectPublicKeyInfoPem(), isPrivate: false);
        }
        finally
        {
            if (electionKey is null)
            {
                rsa.Dispose();
            }
        }

        using (var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            SecureFile.WriteAllText(files.ReceiptKeyPath, ecdsa.ExportPkcs8PrivateKeyPem(), isPrivate: true);
            SecureFile.WriteAllText(files.ReceiptPublicKeyPath, ecdsa.ExportSubjectPublicKeyInfoPem(), isPrivate: false);
        }

        SecureFile.WriteAllText(files.VotersPath, VoterRegistry.Header, isPrivate: false);
        // The definition is written last: its presence marks a complete election folder.
        SecureFile.WriteAllText(files.DefinitionPath, JsonSerializer.Serialize(definition, VotingJson.Default.ElectionDefinition), isPrivate: true);
        return files;
    }

    /// <summary>Opens an existing election; a missing or damaged folder is a <see cref="VotingException"/>.</summary>
    public static ElectionFiles Open(string home, string name)
    {
        var directory = DirectoryFor(home, name);
        var path = Path.Combine(directory, "election.json");
        if (!File.Exists(path))
        {
            throw new VotingException($"No election \"{name}\" in {Path.Combine(home, "elections")} (create it with: safewire vote init {name} --candidates N).");
        }

        ElectionDefinition? definition;
        try
        {
            definition = JsonSerializer.Deserialize(File.ReadAllText(path), VotingJson.Default.ElectionDefinition);
        }
        catch (JsonException e)
        {
            throw new VotingException($"{path} is damaged: {e.Message}", e);
        }

        if (definition is null || definition.Name != name)
        {
            throw new VotingException($"{path} does not describe election \"{name}\".");
        }

        definition.Validate();
        return new ElectionFiles(directory, definition);
    }

    /// <summary>Loads the private election key (the caller disposes it); throws <see cref="VotingException"/> when the file is missing or damaged.</summary>
    public RSA LoadElectionKey() => LoadPem(ElectionKeyPath, RSA.Create);

    /// <summary>Loads the public election key (the caller disposes it).</summary>
    public RSA LoadElectionPublicKey() => LoadPem(ElectionPublicKeyPath, RSA.Create);

    /// <summary>Loads the private receipt-signing key (the caller disposes it).</summary>
    public ECDsa LoadReceiptKey() => LoadPem(ReceiptKeyPath, ECDsa.Create);

    /// <summary>Loads the public receipt key (the caller disposes it).</summary>
    public ECDsa LoadReceiptPublicKey() => LoadPem(ReceiptPublicKeyPath, ECDsa.Create);

    /// <summary>Reads the registered voters from voters.csv.</summary>
    public VoterRegistry LoadVoters() => VoterRegistry.Load(VotersPath);

    private static T LoadPem<T>(string path, Func<T> create)
        where T : AsymmetricAlgorithm
    {
        var key = create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }
        catch (Exception e) when (e is IOException or ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new VotingException($"Cannot read key {path}: {e.Message}", e);
        }
    }
}
