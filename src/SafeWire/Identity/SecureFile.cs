namespace SafeWire.Identity;

/// <summary>
/// Writes files atomically: the content goes to a temporary file in the same directory, which is then
/// renamed over the target, so readers see either the old or the new file, never half of one.
/// Secret files (private keys) are created with mode 0600 from the start, never widened later.
/// </summary>
internal static class SecureFile
{
    private const UnixFileMode SecretMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PublicMode = SecretMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode SecretDirectoryMode = SecretMode | UnixFileMode.UserExecute;

    public static void Write(string path, ReadOnlySpan<byte> content, bool secret)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        CreateDirectory(directory, secret);
        var temp = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = secret ? SecretMode : PublicMode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public static void WriteText(string path, string content, bool secret) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(content), secret);

    /// <summary>Creates a directory; one meant for secrets is created 0700.</summary>
    public static void CreateDirectory(string directory, bool secret)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        if (secret && !OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory, SecretDirectoryMode);
        }
        else
        {
            Directory.CreateDirectory(directory);
        }
    }

    /// <summary>Reads a whole file, turning "not there" into a clear <see cref="IdentityFileException"/>.</summary>
    public static byte[] ReadAll(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new IdentityFileException(IdentityFileError.NotFound, path, $"{path}: no such {what} file", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new IdentityFileException(IdentityFileError.NotFound, path, $"{path}: no such {what} file", e);
        }
    }
}
