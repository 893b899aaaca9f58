using System.Text;

namespace SafeWire.Voting;

/// <summary>Whole-file writes that never leave a half-written file: write a temp name, then move into place.</summary>
internal static class SecureFile
{
    private const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes <paramref name="text"/>; <paramref name="isPrivate"/> files are created 0600 (owner only).</summary>
    public static void WriteAllText(string path, string text, bool isPrivate, bool overwrite = true)
    {
        if (!overwrite && File.Exists(path))
        {
            throw new VotingException($"{path} already exists; not overwriting it.");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (isPrivate && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateMode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
