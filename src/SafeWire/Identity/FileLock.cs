namespace SafeWire.Identity;

/// <summary>
/// An exclusive advisory lock across processes: a lock file held open with no sharing. Files that several commands
/// read, change and rewrite (a running server and an admin's command) are changed only under it, so that one rewrite
/// never drops what the other just added.
/// </summary>
internal static class FileLock
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Holds <paramref name="lockPath"/> until disposed, waiting up to <paramref name="timeout"/> (30 s by default) for another holder.</summary>
    public static FileStream Acquire(string lockPath, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? s_defaultTimeout);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
            catch (IOException)
            {
                throw new IOException($"{lockPath} is still held by another safewire process; try again when it has finished.");
            }
        }
    }
}
