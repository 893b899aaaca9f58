using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using SafeWire.Identity;

namespace SafeWire.Files.Ftp;

/// <summary>An FTP account that logged in.</summary>
internal sealed record FtpUser(string Name, bool ReadOnly);

/// <summary>The users file could not be read or a user entry is invalid.</summary>
public sealed class FtpUserFileException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> names the file and the bad line.</summary>
    public FtpUserFileException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// FTP accounts in a text file, one per line: <c>NAME:rw|ro:pbkdf2-sha256:ITERATIONS:SALT:HASH</c> (salt and hash
/// in base64; '#' starts a comment). Passwords are stored only as PBKDF2-HMAC-SHA256 hashes and compared in
/// constant time; an unknown user costs the same hash as a known one, so timing does not reveal names.
/// A password that passed PBKDF2 is remembered, until the file changes, as an HMAC under a key that exists only in
/// this process, so a client that logs in again (curl per command, lftp and FileZilla per connection) is checked in
/// microseconds instead of the 0.3–0.6 s of 600,000 PBKDF2 rounds; a wrong password never matches a remembered one
/// and still pays the full PBKDF2. Whoever can read this process's memory can test guesses against a remembered HMAC
/// quickly, but could read the passwords themselves as logins arrive; the file on disk keeps only PBKDF2 hashes.
/// </summary>
public sealed partial class FtpUserStore
{
    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>Bounds accepted when reading a file: at most this many iterations, so a hostile file cannot stall logins.</summary>
    public const int MaxIterations = 10_000_000;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly string _path;
    private readonly object _gate = new();
    private byte[] _content = [];
    private Accounts? _accounts;

    private FtpUserStore(string path) => _path = path;

    /// <summary>The number of accounts in the file as last read.</summary>
    public int Count => Current().Count;

    /// <summary>
    /// Reads a users file; throws <see cref="FtpUserFileException"/> naming the bad line. The store follows the file:
    /// when it is replaced or edited (e.g. by <c>safewire ftp user add</c>), the next login reads it again, with an
    /// empty memory of passwords, so a changed password or a removed account takes effect at once for new logins.
    /// </summary>
    public static FtpUserStore Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var store = new FtpUserStore(Path.GetFullPath(path));
        _ = store.Current();
        return store;
    }

    /// <summary>
    /// The user if <paramref name="password"/> is right, else null. Costs one PBKDF2 run unless this user already
    /// logged in with this password (at most one remembered password per user in the file). Throws
    /// <see cref="FtpUserFileException"/> when the file has become unreadable or invalid: no one logs in until it is fixed.
    /// </summary>
    internal FtpUser? Authenticate(string name, string password) => Current().Authenticate(name, password);

    /// <summary>
    /// The accounts as the file now says. The file is read at every login (it is small, and a login costs a PBKDF2 run
    /// anyway) and compared with what was parsed last, so that no edit can go unnoticed, not even one within the file
    /// system's timestamp resolution. The PBKDF2 run itself happens outside the lock: logins never wait for each other.
    /// </summary>
    private Accounts Current()
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FtpUserFileException(File.Exists(_path)
                ? $"The users file {_path} cannot be read: {e.Message}"
                : $"The users file {_path} does not exist (create it with: safewire ftp user add NAME --users {_path}).");
        }

        lock (_gate)
        {
            if (_accounts is null || !content.AsSpan().SequenceEqual(_content))
            {
                _accounts = Parse(_path, content);
                _content = content;
            }

            return _accounts;
        }
    }

    private static Accounts Parse(string path, byte[] content)
    {
        var users = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var number = 0;
        using var reader = new StringReader(Encoding.UTF8.GetString(content));
        while (reader.ReadLine() is { } line)
        {
            number++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }

            var entry = ParseLine(text) ?? throw new FtpUserFileException($"{path}:{number}: not a valid user line (expected NAME:rw|ro:{Scheme}:ITERATIONS:SALT:HASH).");
            users[entry.Name] = entry;
        }

        return new Accounts(users);
    }

    /// <summary>One reading of the file, and the passwords that logged in against it.</summary>
    private sealed class Accounts
    {
        private readonly Dictionary<string, Entry> _users;
        private readonly Entry _dummy;
        private readonly byte[] _rememberKey = RandomNumberGenerator.GetBytes(32);
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _remembered = new(StringComparer.Ordinal);

        public Accounts(Dictionary<string, Entry> users)
        {
            _users = users;
            var iterations = users.Count == 0 ? DefaultIterations : users.Values.Max(u => u.Iterations);
            _dummy = new Entry("", ReadOnly: true, iterations, new byte[SaltBytes], new byte[HashBytes]);
        }

        public int Count => _users.Count;

        public FtpUser? Authenticate(string name, string password)
        {
            var known = _users.TryGetValue(name, out var entry);
            entry ??= _dummy;
            Span<byte> computed = stackalloc byte[HashBytes];
            Span<byte> tag = stackalloc byte[HMACSHA256.HashSizeInBytes];
            var passwordBytes = Encoding.UTF8.GetBytes(password);
            try
            {
                HMACSHA256.HashData(_rememberKey, passwordBytes, tag);
                if (known && _remembered.TryGetValue(name, out var remembered) && CryptographicOperations.FixedTimeEquals(tag, remembered))
                {
                    return new FtpUser(entry.Name, entry.ReadOnly);
                }

                Rfc2898DeriveBytes.Pbkdf2(passwordBytes, entry.Salt, computed, entry.Iterations, HashAlgorithmName.SHA256);
                if (!known || !CryptographicOperations.FixedTimeEquals(computed, entry.Hash))
                {
                    return null;
                }

                _remembered[name] = tag.ToArray();
                return new FtpUser(entry.Name, entry.ReadOnly);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(computed);
                CryptographicOperations.ZeroMemory(tag);
                CryptographicOperations.ZeroMemory(passwordBytes);
            }
        }
    }

    /// <summary>Adds or replaces <paramref name="name"/> in the users file (created if absent), written to a temporary file and moved into place.</summary>
    public static void AddOrReplace(string path, string name, string password, bool readOnly, int iterations = DefaultIterations)
    {
        if (!IsValidName(name))
        {
            throw new FtpUserFileException($"\"{name}\" is not a valid user name (1-64 letters, digits, '.', '_' or '-').");
        }

        if (password.Length == 0)
        {
            throw new FtpUserFileException("The password is empty.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = new byte[HashBytes];
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, hash, iterations, HashAlgorithmName.SHA256);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }

        // Read, change and rewrite under the file's lock (two `ftp user add` at once keep both users), written whole to
        // a temporary file, flushed and renamed into place (a running server reads the old file or the new one).
        using var fileLock = FileLock.Acquire(Path.GetFullPath(path) + ".lock");
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : ["# SafeWire FTP users: NAME:rw|ro:pbkdf2-sha256:ITERATIONS:SALT:HASH"];
        lines.RemoveAll(l => ParseLine(l.Trim())?.Name == name);
        lines.Add(string.Join(':', name, readOnly ? "ro" : "rw", Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash)));
        SecureFile.WriteText(path, string.Join('\n', lines) + "\n", secret: true);
    }

    /// <summary>True when <paramref name="name"/> can be an account name (checked before adding one).</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    private static Entry? ParseLine(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 6 || !IsValidName(parts[0]) || parts[1] is not ("rw" or "ro") || parts[2] != Scheme
            || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations is < 1 or > MaxIterations)
        {
            return null;
        }

        try
        {
            var salt = Convert.FromBase64String(parts[4]);
            var hash = Convert.FromBase64String(parts[5]);
            return salt.Length >= 8 && hash.Length == HashBytes ? new Entry(parts[0], parts[1] == "ro", iterations, salt, hash) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();

    private sealed record Entry(string Name, bool ReadOnly, int Iterations, byte[] Salt, byte[] Hash);
}
