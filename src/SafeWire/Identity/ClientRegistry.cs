using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SafeWire.Identity;

/// <summary>A client identity the server has seen.</summary>
internal sealed record ClientRecord(string Fingerprint, string Name, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string? LastAddress);

/// <summary>
/// The server's registry of client identities, keyed by key fingerprint (not by IP address: addresses change,
/// keys identify). Stored as JSON lines, one <see cref="ClientRecord"/> per line, rewritten atomically on every
/// change. Thread-safe.
/// </summary>
internal sealed class ClientRegistry
{
    private readonly string _path;
    private readonly object _gate = new();
    private readonly Dictionary<string, ClientRecord> _records = new(StringComparer.Ordinal);

    /// <summary>Opens (and reads) the registry file; a missing file is an empty registry.</summary>
    public ClientRegistry(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _path = Path.GetFullPath(path);
        if (!File.Exists(_path))
        {
            return;
        }

        var number = 0;
        foreach (var line in File.ReadAllLines(_path, Encoding.UTF8))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                var record = JsonSerializer.Deserialize(line, ClientRegistryJson.Default.ClientRecord);
                if (record is null || !AllowList.IsFingerprint(record.Fingerprint) || record.Name is null)
                {
                    throw new JsonException("missing fields");
                }

                _records[record.Fingerprint] = record;
            }
            catch (JsonException e)
            {
                throw new IdentityFileException(IdentityFileError.Corrupt, _path, $"{_path}:{number}: not a client record ({e.Message})", e);
            }
        }
    }

    public string FilePath => _path;

    /// <summary>Records that a client was seen now: creates its entry, or updates name, last seen and address.</summary>
    public ClientRecord Record(PeerIdentity identity, string? address, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return Record(identity.Fingerprint, identity.Name, address, now);
    }

    public ClientRecord Record(string fingerprint, string name, string? address, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            var record = _records.TryGetValue(fingerprint, out var known)
                ? known with { Name = name, LastSeen = now, LastAddress = address ?? known.LastAddress }
                : new ClientRecord(fingerprint, name, now, now, address);
            _records[fingerprint] = record;
            Save();
            return record;
        }
    }

    public ClientRecord? Find(string fingerprint)
    {
        lock (_gate)
        {
            return _records.GetValueOrDefault(fingerprint);
        }
    }

    /// <summary>A snapshot of all records, oldest first.</summary>
    public IReadOnlyList<ClientRecord> All()
    {
        lock (_gate)
        {
            return _records.Values.OrderBy(r => r.FirstSeen).ToList();
        }
    }

    private void Save()
    {
        var text = new StringBuilder();
        foreach (var record in _records.Values.OrderBy(r => r.FirstSeen))
        {
            text.Append(JsonSerializer.Serialize(record, ClientRegistryJson.File.ClientRecord)).Append('\n');
        }

        SecureFile.WriteText(_path, text.ToString(), secret: false);
    }
}

/// <summary>One registry line: snake_case, nulls left out; generated at compile time (no reflection in the native build).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClientRecord))]
internal sealed partial class ClientRegistryJson : JsonSerializerContext
{
    /// <summary>The same, writing fingerprints as they are (<c>+</c>, not <c>\u002B</c>): the file is read by people and grep.</summary>
    public static ClientRegistryJson File { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
