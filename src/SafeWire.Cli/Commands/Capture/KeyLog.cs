using System.Globalization;

namespace SafeWire.Cli.Commands.Capture;

/// <summary>
/// A key log in the NSS format that <c>safewire trace --keylog</c> writes: <c>LABEL CLIENT_RANDOM SECRET</c> in hex,
/// one per line, <c>#</c> comments. Secrets are found by the session's client random.
/// </summary>
internal sealed class KeyLog : IDisposable
{
    private readonly Dictionary<(string Label, string ClientRandom), byte[]> _secrets = [];

    public int Count => _secrets.Count;

    public static KeyLog Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"{path}: no such key log file");
        }

        var log = new KeyLog();

        int number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || !IsHex(parts[1]) || !IsHex(parts[2]))
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"{path}, line {number}: not a key log line (LABEL CLIENT_RANDOM SECRET, in hex)"));
            }

            log._secrets[(parts[0], parts[1].ToLowerInvariant())] = Convert.FromHexString(parts[2]);
        }

        return log;
    }

    public byte[]? Find(string label, ReadOnlySpan<byte> clientRandom) =>
        _secrets.TryGetValue((label, Convert.ToHexStringLower(clientRandom)), out var secret) ? secret : null;

    public void Dispose()
    {
        foreach (var secret in _secrets.Values)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static bool IsHex(string text) => text.Length % 2 == 0 && text.Length > 0 && text.All(char.IsAsciiHexDigit);
}
