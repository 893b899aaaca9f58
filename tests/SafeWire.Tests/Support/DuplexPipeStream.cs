using System.IO.Pipelines;

namespace SafeWire.Tests.Support;

/// <summary>One end of an in-memory full-duplex connection (two pipes), like a connected socket pair.</summary>
internal sealed class DuplexPipeStream : Stream
{
    private readonly Stream _reader;
    private readonly Stream _writer;
    private readonly PipeWriter _pipeWriter;

    private DuplexPipeStream(PipeReader reader, PipeWriter writer)
    {
        _reader = reader.AsStream();
        _pipeWriter = writer;
        _writer = writer.AsStream();
    }

    /// <summary>Everything written to this end, for recording sessions (null = not recording).</summary>
    public MemoryStream? Recorded { get; set; }

    public static (DuplexPipeStream Client, DuplexPipeStream Server) CreatePair()
    {
        var options = new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        return (new DuplexPipeStream(toClient.Reader, toServer.Writer), new DuplexPipeStream(toServer.Reader, toClient.Writer));
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _reader.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _reader.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _reader.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _reader.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Recorded?.Write(buffer);
        _writer.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Recorded?.Write(buffer.Span);
        return _writer.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => _writer.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _writer.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pipeWriter.Complete();
            _reader.Dispose();
        }

        base.Dispose(disposing);
    }
}
