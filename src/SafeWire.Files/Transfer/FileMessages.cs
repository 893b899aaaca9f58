using System.Buffers.Binary;
using System.Text;

namespace SafeWire.Files.Transfer;

/// <summary>Frame types of the SafeWire file protocol (docs/FILES.md has the message table).</summary>
public enum FileMessageType : byte
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

/// <summary>
/// Writes a frame payload into a span: big-endian integers, strings as u16 length + UTF-8 (every codec
/// is a writer/reader pair).
/// </summary>
public ref struct PayloadWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;

    public int Length { get; private set; }

    public void WriteByte(byte value) => _destination[Length++] = value;

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_destination[Length..], value);
        Length += 8;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_destination[Length..], value);
        Length += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_destination[Length..]);
        Length += bytes.Length;
    }

    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            throw new FileTransferException(FileErrorCode.BadRequest, "A string is longer than 65535 bytes.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(_destination[Length..], (ushort)count);
        Length += 2;
        Length += Encoding.UTF8.GetBytes(value, _destination[Length..]);
    }
}

/// <summary>Reads a frame payload; a short or overlong payload is a <see cref="FileErrorCode.BadRequest"/>.</summary>
public ref struct PayloadReader(ReadOnlySpan<byte> source)
{
    private static readonly UTF8Encoding s_strict = new(false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _source = source;
    private int _position;

    public byte ReadByte() => Take(1)[0];

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    public string ReadString()
    {
        var length = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        try
        {
            return s_strict.GetString(Take(length));
        }
        catch (DecoderFallbackException)
        {
            throw new FileTransferException(FileErrorCode.BadRequest, "A string is not valid UTF-8.");
        }
    }

    /// <summary>Rejects trailing bytes: a frame means exactly one thing.</summary>
    public readonly void EnsureEnd()
    {
        if (_position != _source.Length)
        {
            throw new FileTransferException(FileErrorCode.BadRequest, "The frame has trailing bytes.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || _source.Length - _position < count)
        {
            throw new FileTransferException(FileErrorCode.BadRequest, "The frame is too short.");
        }

        var slice = _source.Slice(_position, count);
        _position += count;
        return slice;
    }
}
