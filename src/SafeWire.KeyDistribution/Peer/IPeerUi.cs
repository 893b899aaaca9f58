namespace SafeWire.KeyDistribution.Peer;

/// <summary>What the waiter is shown before it accepts a file.</summary>
/// <param name="SenderName">The sender's name as the key manager introduced it.</param>
/// <param name="SenderFingerprint">The sender's key fingerprint.</param>
/// <param name="FileName">The file's name (no directories).</param>
/// <param name="PlainLength">The file's size in bytes.</param>
/// <param name="EncryptedLength">Bytes of ciphertext that will cross the wire (cbc/cfb) or the file size (e2e).</param>
public sealed record FileOffer(string SenderName, string SenderFingerprint, string FileName, long PlainLength, long EncryptedLength);

/// <summary>Progress of one file; disposed when the file is done.</summary>
public interface ITransferProgress : IDisposable
{
    /// <summary>Another <paramref name="bytes"/> of the file were sent or received.</summary>
    void Advance(long bytes);

    /// <summary>Marks the file finished (<paramref name="succeeded"/>) before Dispose.</summary>
    void Complete(bool succeeded);
}

/// <summary>
/// The human side of a peer: status lines, per-file progress, and the waiter's decision about an offered
/// file. The CLI implements it for a terminal (prompts, progress bars) and for scripts (flags, quiet).
/// </summary>
public interface IPeerUi
{
    /// <summary>Shows a status line (e.g. "connected to bob").</summary>
    void Info(string message);

    /// <summary>Shows a problem that does not stop the peer (e.g. a stranger refused at the waiter's socket).</summary>
    void Warn(string message);

    /// <summary>Starts showing progress for one file of <paramref name="totalBytes"/> bytes being sent (<paramref name="sending"/>) or received.</summary>
    ITransferProgress StartProgress(string fileName, long totalBytes, bool sending);

    /// <summary>The full path to save the offered file to, or null to decline it.</summary>
    ValueTask<string?> DecideAsync(FileOffer offer, CancellationToken cancellationToken);
}
