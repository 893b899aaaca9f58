namespace SafeWire.Files.Ftp;

/// <summary>What <see cref="FtpLineReader.ReadLineAsync"/> found.</summary>
internal enum FtpLineStatus
{
    Line,
    EndOfStream,
    TooLong,
}

/// <summary>
/// Reads CR LF (or bare LF) terminated control lines into one fixed buffer of MaxLineLength + 2 bytes, so a peer
/// cannot make it grow. The stream can be swapped after AUTH TLS; <see cref="HasBufferedData"/> tells whether the
/// peer sent bytes past the AUTH line, which must not be carried over into the TLS session (the STARTTLS command
/// injection flaw, CVE-2011-0411).
/// </summary>
/// <remarks>Invariant: 0 &lt;= _start &lt;= _end &lt;= _buffer.Length; bytes [_start, _end) are received and unread.</remarks>
internal sealed class FtpLineReader
{
    private readonly byte[] _buffer;
    private int _start;
    private int _end;
    private int _scanned;

    public FtpLineReader(Stream stream, int maxLineLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineLength, 16);
        Stream = stream;
        _buffer = new byte[maxLineLength + 2];
    }

    public Stream Stream { get; set; }

    public bool HasBufferedData => _end > _start;

    /// <summary>The last line read (without CR LF), valid until the next read.</summary>
    public ReadOnlyMemory<byte> Line { get; private set; }

    public async ValueTask<FtpLineStatus> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _scanned, _end - _scanned);
            if (newline >= 0)
            {
                var lineEnd = newline > _start && _buffer[newline - 1] == '\r' ? newline - 1 : newline;
                Line = _buffer.AsMemory(_start, lineEnd - _start);
                _start = newline + 1;
                _scanned = _start;
                return FtpLineStatus.Line;
            }

            _scanned = _end;
            if (_start > 0)
            {
                // Slide the partial line to the front so the whole buffer is available for it.
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _scanned -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                return FtpLineStatus.TooLong;
            }

            var read = await Stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return FtpLineStatus.EndOfStream;
            }

            _end += read;
        }
    }
}
