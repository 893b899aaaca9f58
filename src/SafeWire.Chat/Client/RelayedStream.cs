using System.Threading.Channels;
using SafeWire.Chat.Wire;
using SafeWire.Transport;

namespace SafeWire.Chat.Client;

/// <summary>
/// A byte stream to another client, carried in <see cref="ChatFrameType.DirectData"/> frames through the server.
/// A nested SafeWire handshake runs over it, so all the server ever relays is that session's records.
/// Reads come from the client's single read loop (<see cref="Deliver"/>); writes become frames.
/// </summary>
internal sealed class RelayedStream : DuplexStream
{
    private const int MaxQueuedChunks = 256;
    private readonly ChatClient _owner;
    private readonly Channel<byte[]> _incoming = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(MaxQueuedChunks) { SingleReader = true, SingleWriter = true });
    private byte[] _current = [];
    private int _offset;
    private int _closed;

    public RelayedStream(ChatClient owner, uint peerId, uint channelId, bool weInitiated)
    {
        _owner = owner;
        PeerId = peerId;
        ChannelId = channelId;
        WeInitiated = weInitiated;
    }

    public uint PeerId { get; }

    public uint ChannelId { get; }

    public bool WeInitiated { get; }

    public (uint, uint, bool) Key => (PeerId, ChannelId, WeInitiated);

    /// <summary>Bytes from the peer; false when the reader has fallen too far behind (the session is then dropped).</summary>
    public bool Deliver(byte[] data) => _incoming.Writer.TryWrite(data);

    /// <summary>The peer closed its side (or could not be reached): reads return end of stream.</summary>
    public void CompleteIncoming() => _incoming.Writer.TryComplete();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_offset == _current.Length)
        {
            if (!await _incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            if (_incoming.Reader.TryRead(out var next))
            {
                _current = next;
                _offset = 0;
            }
        }

        var count = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsMemory(_offset, count).CopyTo(buffer);
        _offset += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw new IOException("The direct session is closed.");
        }

        while (!buffer.IsEmpty)
        {
            var chunk = buffer[..Math.Min(buffer.Length, ChatLimits.MaxDirectChunk)];
            await _owner.SendDirectFrameAsync(new DirectDataMessage(PeerId, ChannelId, WeInitiated, chunk.ToArray()), cancellationToken).ConfigureAwait(false);
            buffer = buffer[chunk.Length..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    /// <summary>Tells the peer (through the server) that this session is over, once.</summary>
    private async ValueTask CloseAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        CompleteIncoming();
        _owner.ForgetDirect(this);
        try
        {
            await _owner.SendDirectFrameAsync(new DirectCloseMessage(PeerId, ChannelId, WeInitiated, "closed"), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The connection to the server is gone; nobody is left to tell.
        }
    }
}
