using System.Security.Cryptography;
using System.Text;

namespace SafeWire.Identity;

/// <summary>One allowed key: its fingerprint, the name it is known by, and an optional comment.</summary>
public sealed record AllowListEntry(string Fingerprint, string Name, string? Comment = null);

/// <summary>
/// The server's list of allowed client keys (pinned by fingerprint). File format, one entry per line:
/// <code>SHA256:&lt;base64 of SHA-256(SPKI)&gt; NAME [comment...]</code>
/// Blank lines and lines starting with <c>#</c> are ignored. Names contain no white space.
/// Not thread-safe by itself: <see cref="AllowListVerifier"/> reads it through immutable snapshots.
/// </summary>
public sealed class AllowList
{
    private readonly List<AllowListEntry> _entries;

    /// <summary>A list holding <paramref name="entries"/> (empty when null), e.g. one pinned key for a client.</summary>
    public AllowList(IEnumerable<AllowListEntry>? entries = null)
    {
        _entries = entries?.ToList() ?? [];
    }

    /// <summary>The entries in file order.</summary>
    public IReadOnlyList<AllowListEntry> Entries => _entries;

    /// <summary>Loads a list file; a missing file is an empty list.</summary>
    public static AllowList Load(string path)
    {
        if (!File.Exists(path))
        {
            return new AllowList();
        }

        return Parse(File.ReadAllText(path, Encoding.UTF8), path);
    }

    /// <summary>Parses the text of a list file; <paramref name="source"/> names it in errors (a malformed line throws <see cref="IdentityFileException"/>).</summary>
    public static AllowList Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<AllowListEntry>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split([' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !IsFingerprint(parts[0]))
            {
                throw new IdentityFileException(IdentityFileError.Corrupt, source, $"{source}:{number}: expected \"SHA256:<base64> NAME [comment]\"");
            }

            entries.Add(new AllowListEntry(parts[0], parts[1], parts.Length > 2 ? parts[2].Trim() : null));
        }

        return new AllowList(entries);
    }

    /// <summary>The entry for a fingerprint, or null.</summary>
    public AllowListEntry? Find(string fingerprint) =>
        _entries.FirstOrDefault(e => string.Equals(e.Fingerprint, fingerprint, StringComparison.Ordinal));

    /// <summary>Adds an entry; an existing entry for the same key is replaced (renamed).</summary>
    public void Add(AllowListEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!IsFingerprint(entry.Fingerprint))
        {
            throw new ArgumentException($"\"{entry.Fingerprint}\" is not a SHA256:<base64> fingerprint.", nameof(entry));
        }

        if (string.IsNullOrWhiteSpace(entry.Name) || entry.Name.Any(char.IsWhiteSpace) || entry.Name.StartsWith('#'))
        {
            throw new ArgumentException($"\"{entry.Name}\" is not a valid name (no spaces, not starting with #).", nameof(entry));
        }

        if (entry.Comment is not null && entry.Comment.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A comment is one line.", nameof(entry));
        }

        _entries.RemoveAll(e => e.Fingerprint == entry.Fingerprint);
        _entries.Add(entry);
    }

    /// <summary>Removes every entry with this name; returns how many.</summary>
    public int Remove(string name) => _entries.RemoveAll(e => string.Equals(e.Name, name, StringComparison.Ordinal));

    /// <summary>Writes the list atomically.</summary>
    public void Save(string path) => SecureFile.Write(path, Encode(), secret: false);

    /// <summary>The file's bytes.</summary>
    internal byte[] Encode()
    {
        var text = new StringBuilder();
        text.Append("# SafeWire allow-list: one allowed key per line: SHA256:<fingerprint> NAME [comment]\n");
        foreach (var entry in _entries)
        {
            text.Append(entry.Fingerprint).Append(' ').Append(entry.Name);
            if (!string.IsNullOrEmpty(entry.Comment))
            {
                text.Append(' ').Append(entry.Comment);
            }

            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// Reads a CSV like the original design's <c>allowed.csv</c>: <c>name,key</c> per row, where key is a <c>SHA256:</c>
    /// fingerprint, a PEM public key (quoted, since it spans lines) or the base64 of a DER SubjectPublicKeyInfo.
    /// A first row whose key column is not a key (a header such as <c>name,public_key</c>) is skipped.
    /// </summary>
    public static List<AllowListEntry> ImportCsv(string path)
    {
        var text = Encoding.UTF8.GetString(SecureFile.ReadAll(path, "CSV"));
        var entries = new List<AllowListEntry>();
        var row = 0;
        foreach (var fields in ReadCsv(text))
        {
            row++;
            if (fields.Count == 1 && fields[0].Length == 0)
            {
                continue;
            }

            if (fields.Count < 2)
            {
                throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}: row {row}: expected name,key");
            }

            var fingerprint = KeyToFingerprint(fields[1].Trim());
            if (fingerprint is null)
            {
                if (row == 1 && IsHeaderWord(fields[1]))
                {
                    continue; // header such as name,public_key
                }

                throw new IdentityFileException(IdentityFileError.Corrupt, path, $"{path}: row {row}: \"{Shorten(fields[1])}\" is not a fingerprint or public key");
            }

            entries.Add(new AllowListEntry(fingerprint, fields[0].Trim(), "imported from " + Path.GetFileName(path)));
        }

        return entries;
    }

    private static bool IsHeaderWord(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length is > 0 and <= 32 && trimmed.All(c => char.IsAsciiLetter(c) || c is '_' or ' ' or '-');
    }

    /// <summary>True for <c>SHA256:</c> + 43 characters of unpadded base64 that decode to 32 bytes.</summary>
    public static bool IsFingerprint(string text)
    {
        if (!text.StartsWith(Fingerprint.Prefix, StringComparison.Ordinal) || text.Length != Fingerprint.Prefix.Length + 43)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[33];
        return Convert.TryFromBase64String(text[Fingerprint.Prefix.Length..] + "=", hash, out var written) && written == 32;
    }

    private static string? KeyToFingerprint(string key)
    {
        if (IsFingerprint(key))
        {
            return key;
        }

        byte[] spki;
        if (key.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            if (!PemEncoding.TryFind(key, out var fields) || key[fields.Label] is not ("PUBLIC KEY" or "RSA PUBLIC KEY"))
            {
                return null;
            }

            spki = Convert.FromBase64String(key[fields.Base64Data]);
            if (key[fields.Label] == "RSA PUBLIC KEY")
            {
                try
                {
                    spki = KeyFile.RsaPublicKeyToSpki("CSV", spki);
                }
                catch (IdentityFileException)
                {
                    return null;
                }
            }
        }
        else
        {
            var buffer = new byte[key.Length];
            if (!Convert.TryFromBase64String(key, buffer, out var written))
            {
                return null;
            }

            spki = buffer[..written];
        }

        try
        {
            return KeyFile.CheckSupported(spki, "key").Fingerprint;
        }
        catch (IdentityFileException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => text.Length <= 24 ? text : text[..24] + "...";

    /// <summary>RFC 4180 rows: commas separate fields, double quotes protect commas, quotes and line breaks.</summary>
    private static IEnumerable<List<string>> ReadCsv(string text)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                fields.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                yield return fields;
                fields = [];
            }
            else
            {
                field.Append(c);
            }
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString().TrimEnd('\r'));
            yield return fields;
        }
    }
}
