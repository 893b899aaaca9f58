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
    BadRequest = 1,
    NotFound = 2,
    AccessDenied = 3,
    ReadOnly = 4,
    PathRejected = 5,
    HashMismatch = 6,
    AlreadyExists = 7,
    NotEmpty = 8,
    Busy = 9,
    IoError = 10,
}

/// <summary>A file operation failed, locally or as reported by the peer.</summary>
public sealed class FileTransferException : IOException
{
    public FileTransferException(FileErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

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
