using System.Collections.Concurrent;

namespace SafeWire.Files.Storage;

/// <summary>
/// Uploads are written to a hidden partial file next to their target (".NAME.safewire-part") and moved over the
/// final name only when complete, so no half-written file ever carries the final name. The jail hides and refuses
/// these names, so clients can neither see nor address them.
/// </summary>
internal static class PartialFile
{
    /// <summary>The name ending of partial uploads.</summary>
    public const string Suffix = ".safewire-part";

    /// <summary>Partial files older than this are removed by <see cref="RemoveExpired"/> unless configured otherwise.</summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromHours(24);

    private static readonly ConcurrentDictionary<string, byte> s_writing = new(StringComparer.Ordinal);

    /// <summary>
    /// Claims <paramref name="finalPath"/> for one upload in this process; null when another upload to that name is
    /// running (its partial file must not be reset under it). Dispose the claim when the upload ends.
    /// </summary>
    public static IDisposable? TryClaim(string finalPath)
    {
        var key = Path.GetFullPath(finalPath);
        return s_writing.TryAdd(key, 0) ? new Claim(key) : null;
    }

    /// <summary>
    /// Deletes the partial files under <paramref name="root"/> (recursively, links not followed) last written more
    /// than <paramref name="maxAge"/> before <paramref name="now"/>, except those of uploads running in this process.
    /// Returns the paths removed.
    /// </summary>
    public static IReadOnlyList<string> RemoveExpired(string root, TimeSpan maxAge, DateTimeOffset now)
    {
        var removed = new List<string>();
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            MatchType = MatchType.Simple,
        };
        // Listed in full before deleting: removing entries while a directory is being read can make it skip others.
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*" + Suffix, options).ToList())
        {
            var name = file.Name;
            if (!name.StartsWith('.') || now - new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero) <= maxAge)
            {
                continue;
            }

            var finalPath = Path.Combine(file.DirectoryName!, name[1..^Suffix.Length]);
            if (s_writing.ContainsKey(Path.GetFullPath(finalPath)))
            {
                continue;
            }

            try
            {
                file.Delete();
                removed.Add(file.FullName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone already, or not ours to delete: the next sweep tries again.
            }
        }

        return removed;
    }

    /// <summary>The partial files under <paramref name="root"/> (recursively, links not followed), full paths and sizes.</summary>
    public static IEnumerable<(string Path, long Length)> Under(string root)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            MatchType = MatchType.Simple,
        };
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*" + Suffix, options))
        {
            if (file.Name.StartsWith('.'))
            {
                long length;
                try
                {
                    length = file.Length;
                }
                catch (IOException)
                {
                    continue; // removed meanwhile
                }

                yield return (file.FullName, length);
            }
        }
    }

    /// <summary>The partial file that belongs to <paramref name="finalPath"/>.</summary>
    public static string PathFor(string finalPath)
    {
        var directory = Path.GetDirectoryName(finalPath) ?? throw new ArgumentException("The path has no directory.", nameof(finalPath));
        return Path.Combine(directory, "." + Path.GetFileName(finalPath) + Suffix);
    }

    /// <summary>
    /// Opens a fresh partial file for <paramref name="finalPath"/>, positioned at its end. When
    /// <paramref name="keepFromExisting"/> is positive the first that many bytes of the existing final file are
    /// copied in first (append and restarted uploads); the caller checked that the file is at least that long.
    /// </summary>
    public static FileStream Begin(string finalPath, long keepFromExisting)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepFromExisting);
        var part = PathFor(finalPath);
        if (keepFromExisting > 0)
        {
            File.Copy(finalPath, part, overwrite: true);
        }

        var stream = new FileStream(part, keepFromExisting > 0 ? FileMode.Open : FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
        try
        {
            stream.SetLength(keepFromExisting);
            stream.Position = keepFromExisting;
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Moves the finished partial file over <paramref name="finalPath"/> (replacing it atomically).</summary>
    public static void Commit(string finalPath) => File.Move(PathFor(finalPath), finalPath, overwrite: true);

    /// <summary>Deletes the partial file of <paramref name="finalPath"/>, if any.</summary>
    public static void Discard(string finalPath)
    {
        try
        {
            File.Delete(PathFor(finalPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover partial file is hidden and overwritten by the next upload.
        }
    }

    private sealed class Claim(string key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                s_writing.TryRemove(key, out _);
            }
        }
    }
}
