using System.Net;
using System.Threading.Channels;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Session;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Server;

/// <summary>
/// One client in the conversation: its channel, its place in the session table, and a bounded queue of
/// encoded frames drained by one writer task (so a relay never waits on a slow reader).
/// </summary>
internal sealed class ClientConnection
{
    private readonly Channel<ReadOnlyMemory<byte>> _outbound;
    private readonly CancellationTokenSource _lifetime;
    private long _messagesIn;
    private string? _closeReason;

    public ClientConnection(uint id, string name, ConnectedTransport transport, DateTimeOffset connectedSince, int maxQueuedFrames, CancellationToken serverStopping)
    {
        Id = id;
        Name = name;
        Transport = transport;
        ConnectedSince = connectedSince;
        _outbound = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(maxQueuedFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(serverStopping);
    }

    public uint Id { get; }

    public string Name { get; set; }

    /// <summary>The transport the conversation runs on (replaced once when the client hops ports).</summary>
    public ConnectedTransport Transport { get; set; }

    public DateTimeOffset ConnectedSince { get; }

    /// <summary>Welcome sent: the client receives relays and is listed to others.</summary>
    public bool Joined { get; set; }

    /// <summary>The client asked for no relays (it only sends).</summary>
    public bool SendOnly { get; init; }

    public CancellationToken Lifetime => _lifetime.Token;

    public string? CloseReason => Volatile.Read(ref _closeReason);

    public bool IsClosing => CloseReason is not null;

    public long MessagesIn => Interlocked.Read(ref _messagesIn);

    public void CountMessage() => Interlocked.Increment(ref _messagesIn);

    public ChatMember Member => new(Id, Name, Transport.Channel.RemoteIdentity?.Fingerprint ?? string.Empty);

    public ConnectionInfo Info() => new(
        Id,
        Name,
        Transport.Channel.RemoteIdentity?.Fingerprint ?? string.Empty,
        Transport.RemoteEndPoint,
        Transport.LocalPort,
        ConnectedSince,
        Transport.Channel.CipherSuite,
        Transport.Counter.BytesIn,
        Transport.Counter.BytesOut,
        MessagesIn);

    /// <summary>Queues a frame; false when the client is closing or its queue is full (then it is closed as too slow).</summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame)
    {
        if (IsClosing)
        {
            return false;
        }

        if (_outbound.Writer.TryWrite(frame))
        {
            return true;
        }

        Close("too slow: its outgoing queue was full", finalFrame: null);
        return false;
    }

    /// <summary>Sends <paramref name="finalFrame"/> (if any) after what is queued, then ends the writer. First reason wins.</summary>
    public void Close(string reason, ChatMessage? finalFrame)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
        {
            return;
        }

        if (finalFrame is not null)
        {
            _outbound.Writer.TryWrite(ChatFrameCodec.Encode(finalFrame));
        }

        _outbound.Writer.TryComplete();
    }

    /// <summary>Cuts the connection now (drain time is over, or the reader failed).</summary>
    public void Abort(string reason)
    {
        Interlocked.CompareExchange(ref _closeReason, reason, null);
        _outbound.Writer.TryComplete();
        try
        {
            _lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Writes queued frames in order until the queue completes, then half-closes so the client sees the end.</summary>
    public async Task RunWriterAsync()
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync(Lifetime).ConfigureAwait(false))
            {
                var type = (ChatFrameType)frame.Span[0];
                if (!Transport.Session.CanSend(type))
                {
                    continue; // e.g. a relay that raced a kick
                }

                Transport.Session.Sending(type);
                await Transport.Frames.WriteFrameAsync(frame, Lifetime).ConfigureAwait(false);
            }

            Transport.ShutdownSend();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            Abort("connection lost while sending: " + e.Message);
        }
    }

    public void DisposeLifetime() => _lifetime.Dispose();
}

/// <summary>One TCP connection after its handshake: socket, byte counter, channel, frames, session state.</summary>
internal sealed class ConnectedTransport : IAsyncDisposable
{
    private readonly System.Net.Sockets.Socket _socket;

    public ConnectedTransport(System.Net.Sockets.Socket socket, CountingStream counter, IChatChannel channel, ChatFramer frames, ChatSession session, IPEndPoint remoteEndPoint, int localPort)
    {
        _socket = socket;
        Counter = counter;
        Channel = channel;
        Frames = frames;
        Session = session;
        RemoteEndPoint = remoteEndPoint;
        LocalPort = localPort;
    }

    public CountingStream Counter { get; }

    public IChatChannel Channel { get; }

    public ChatFramer Frames { get; }

    public ChatSession Session { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public int LocalPort { get; }

    /// <summary>Sends FIN after the last frame, so the client reads everything and then the end (no RST that could eat the last frame).</summary>
    public void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Session.Close();
        try
        {
            await Channel.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Closing a connection that is already gone.
        }

        _socket.Dispose();
    }
}
