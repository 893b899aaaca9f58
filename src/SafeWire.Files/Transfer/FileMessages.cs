namespace SafeWire.Files.Transfer;

/// <summary>Frame types of the SafeWire file protocol (docs/FILES.md has the message table).</summary>
internal enum FileMessageType : byte
{
    // Requests (client to server).
    List = 0x01,
    Stat = 0x02,
    Get = 0x03,
    Put = 0x04,
    PutFrom = 0x05,
    Delete = 0x06,
    MakeDirectory = 0x07,

    // Either direction inside a transfer.
    Data = 0x10,
    End = 0x11,

    // Responses (server to client).
    Ok = 0x81,
    Error = 0x82,
    Entries = 0x83,
    GetStart = 0x84,
    PutReady = 0x85,
}

/// <summary>Why a file operation failed; sent in Error frames and carried by <see cref="FileTransferException"/>.</summary>
public enum FileErrorCode : byte
{
    /// <summary>The request or a frame was malformed, or not allowed at this point of the protocol.</summary>
    BadRequest = 1,
    /// <summary>The path does not exist on the server.</summary>
    NotFound = 2,
    /// <summary>This client's identity is not allowed to do that (<see cref="FileServerOptions.Authorize"/>).</summary>
    AccessDenied = 3,
    /// <summary>The server shares its folder read-only.</summary>
    ReadOnly = 4,
    /// <summary>The path is not acceptable: it leaves the shared folder, or has a forbidden name or form.</summary>
    PathRejected = 5,
    /// <summary>The SHA-256 of the transferred file (or of the part being resumed) did not match; nothing was kept.</summary>
    HashMismatch = 6,
    /// <summary>The path holds the other kind of entry: a file where a directory is needed, or the reverse.</summary>
    AlreadyExists = 7,
    /// <summary>A directory to delete still has entries.</summary>
    NotEmpty = 8,
    /// <summary>The path is in use by another transfer, or the server has no room for another upload now; try later.</summary>
    Busy = 9,
    /// <summary>Reading or writing the file failed on the server (disk full, permissions, ...).</summary>
    IoError = 10,
}

/// <summary>A file operation failed, locally or as reported by the peer.</summary>
public sealed class FileTransferException : IOException
{
    /// <summary>Creates the exception for <paramref name="code"/>; <paramref name="message"/> names the path and says what went wrong.</summary>
    public FileTransferException(FileErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Why the operation failed, for programs that react differently (e.g. skip a <see cref="FileErrorCode.NotFound"/>).</summary>
    public FileErrorCode Code { get; }
}

/// <summary>One directory entry as the server reports it.</summary>
public sealed record RemoteEntry(string Name, bool IsDirectory, long Size, DateTimeOffset Modified);

/// <summary>Files' wire errors: every one is a <see cref="FileTransferException"/> with <see cref="FileErrorCode.BadRequest"/>.</summary>
internal sealed class FileWireErrors : SafeWire.Framing.IWireErrors
{
    public static FileWireErrors Instance { get; } = new();

    public Exception Create(SafeWire.Framing.WireError wireError) =>
        new FileTransferException(FileErrorCode.BadRequest, wireError.Describe(((FileMessageType)wireError.Type).ToString()));

    /// <summary>A reader over one frame payload.</summary>
    public static SafeWire.Framing.FieldReader Reader(ReadOnlySpan<byte> payload) => new(payload, Instance, "file protocol");

    /// <summary>A path in a request: u16 length + UTF-8; one longer than the field holds is refused here, not on the wire.</summary>
    public static void WritePath(ref SafeWire.Framing.FieldSpanWriter writer, string path)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(path) > ushort.MaxValue)
        {
            throw new FileTransferException(FileErrorCode.BadRequest, "A path is longer than 65535 bytes.");
        }

        writer.String16(path);
    }
}
