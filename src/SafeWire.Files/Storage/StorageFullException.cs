namespace SafeWire.Files.Storage;

/// <summary>A write failed because the disk (or the user's disk quota, or the partial-upload quota) is full.</summary>
internal sealed class StorageFullException : IOException
{
    private const int NoSpace = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT

    /// <summary>Creates the exception with a message for the client.</summary>
    public StorageFullException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>Whether <paramref name="e"/> reports a full disk or an exceeded disk quota.</summary>
    public static bool IsDiskFull(IOException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e is StorageFullException || e.HResult is NoSpace or QuotaExceeded
            || (OperatingSystem.IsWindows() && (e.HResult & 0xFFFF) is 0x27 or 0x70);
    }
}
