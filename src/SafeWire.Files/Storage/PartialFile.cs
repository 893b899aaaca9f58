namespace SafeWire.Files.Storage;

/// <summary>
/// Uploads are written to a hidden partial file next to their target (".NAME.safewire-part") and moved over the
/// final name only when complete, so no half-written file ever carries the final name. The jail hides and refuses
/// these names, so clients can neither see nor address them.
/// </summary>
public static class PartialFile
{
    public const string Suffix = ".safewire-part";

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
}
