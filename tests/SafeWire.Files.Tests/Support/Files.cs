using System.Security.Cryptography;

namespace SafeWire.Files.Tests.Support;

/// <summary>Test data: files of random bytes and their SHA-256.</summary>
public static class TestFiles
{
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    /// <summary>Writes <paramref name="length"/> pseudo-random bytes (seeded, so failures reproduce).</summary>
    public static string Random(string path, long length, int seed = 1)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        var buffer = new byte[64 * 1024];
        using var stream = File.Create(path);
        for (long written = 0; written < length; written += buffer.Length)
        {
            random.NextBytes(buffer);
            stream.Write(buffer, 0, (int)Math.Min(buffer.Length, length - written));
        }

        return path;
    }

    /// <summary>Every file under <paramref name="root"/> (relative path, '/' separated) with its SHA-256.</summary>
    public static SortedDictionary<string, string> Tree(string root) =>
        new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), Sha256), StringComparer.Ordinal);
}
