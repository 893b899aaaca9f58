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

    /// <summary>How many files <see cref="WriteAll"/> writes and flushes at once.</summary>
    internal const int MaxConcurrentFlushes = 64;

    public static void Write(string path, ReadOnlySpan<byte> content, bool secret)
    {
        var full = Path.GetFullPath(path);
        var temp = WriteTemporary(full, content, secret);
        try
        {
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Writes several files as <see cref="Write"/> does, each complete and on disk before any is renamed into place. The
    /// flushes run at the same time (up to <see cref="MaxConcurrentFlushes"/>), each on a thread of its own, so the file
    /// system commits them together instead of one after another. When a file cannot be written, none is renamed into
    /// place and every temporary file is removed.
    /// </summary>
    public static void WriteAll(IReadOnlyList<(string Path, byte[] Content, bool Secret)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count <= 1)
        {
            foreach (var (path, content, secret) in files)
            {
                Write(path, content, secret);
            }

            return;
        }

        var full = files.Select(f => Path.GetFullPath(f.Path)).ToArray();
        var temps = new string?[files.Count];
        try
        {
            for (var start = 0; start < files.Count; start += MaxConcurrentFlushes)
            {
                var writes = new Task[Math.Min(MaxConcurrentFlushes, files.Count - start)];
                for (var i = 0; i < writes.Length; i++)
                {
                    var at = start + i;
                    writes[i] = Task.Factory.StartNew(() => temps[at] = WriteTemporary(full[at], files[at].Content, files[at].Secret),
                        CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                }

                Task.WaitAll(writes);
            }

            for (var i = 0; i < files.Count; i++)
            {
                File.Move(temps[i]!, full[i], overwrite: true);
                temps[i] = null;
            }
        }
        catch (AggregateException e)
        {
            DeleteAll(temps);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            throw;
        }
        catch
        {
            DeleteAll(temps);
            throw;
        }
    }

    private static void DeleteAll(string?[] temps)
    {
        foreach (var temp in temps)
        {
            if (temp is not null)
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Writes <paramref name="content"/> to a new temporary file beside <paramref name="full"/> and flushes it to disk; returns its path.</summary>
    private static string WriteTemporary(string full, ReadOnlySpan<byte> content, bool secret)
    {
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
            using var stream = new FileStream(temp, options);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return temp;
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
