using System.Net;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Session;
using SafeWire.Chat.Wire;

namespace SafeWire.Chat.Server;

/// <summary>
/// One client in the conversation: its transport, its place in the session table, and its outgoing frames.
/// Frames are queued (bounded, so a relay never waits on a slow reader) and written in order by one writer task.
/// An idle client costs nothing here: the queue and the writer exist only while there is something to send.
/// </summary>
internal sealed class ClientConnection : IDisposable
{
    private readonly object _gate = new();
    private readonly int _maxQueuedFrames;
    private Queue<ReadOnlyMemory<byte>>? _queue; // while the writer runs
    private CancellationTokenSource? _writeCancel; // while the writer runs
    private Task _writer = Task.CompletedTask;
    private bool _writing;
    private bool _sending; // the conversation has started (frames queued before wait for it)
    private bool _completed; // no frames after the ones queued; the writer half-closes when done
    private long _messagesIn;
    private string? _closeReason;

    public ClientConnection(uint id, string name, ConnectedTransport transport, DateTimeOffset connectedSince, int maxQueuedFrames)
    {
        Id = id;
        Name = name;
        Transport = transport;
        ConnectedSince = connectedSince;
        _maxQueuedFrames = maxQueuedFrames;
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

    /// <summary>Queues a frame; false when the client is closing or its queue is full (then it is cut off as too slow).</summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return false;
            }

            if (_queue is null || _queue.Count < _maxQueuedFrames)
            {
                Enqueue(frame);
                return true;
            }
        }

        // Cut, not closed after a drain: a client that stopped reading would never drain, and its blocked writer
        // and its reader would then wait forever.
        Abort("too slow: its outgoing queue was full");
        return false;
    }

    /// <summary>Sends <paramref name="finalFrame"/> (if any) after what is queued, then half-closes. First reason wins.</summary>
    public void Close(string reason, ChatMessage? finalFrame)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
        {
            return;
        }

        var encoded = finalFrame is null ? default : ChatFrameCodec.Encode(finalFrame);
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            if (finalFrame is not null)
            {
                Enqueue(encoded);
            }

            _completed = true;
            StartWriter(); // it half-closes once the queue is empty
        }
    }

    /// <summary>The conversation starts: queued frames (the welcome first) go out from now on.</summary>
    public void StartSending()
    {
        lock (_gate)
        {
            _sending = true;
            if (_queue is not null || _completed)
            {
                StartWriter();
            }
        }
    }

    /// <summary>No more sending: drops what is queued and cancels a write in progress (the conversation is over).</summary>
    public void StopWriting(string reason)
    {
        Interlocked.CompareExchange(ref _closeReason, reason, null);
        CancellationTokenSource? running;
        lock (_gate)
        {
            _completed = true;
            _queue?.Clear();
            running = _writeCancel;
        }

        try
        {
            running?.Cancel(); // outside the lock: cancellation callbacks run inline
        }
        catch (ObjectDisposedException)
        {
            // The writer ended meanwhile.
        }
    }

    /// <summary>Cuts the connection now (drain time is over, the server stops, or sending failed): the reader ends too.</summary>
    public void Abort(string reason)
    {
        StopWriting(reason);
        Transport.Abort();
    }

    /// <summary>Completes when the writer (if one is running) has finished.</summary>
    public Task WriterStopped
    {
        get
        {
            lock (_gate)
            {
                return _writer;
            }
        }
    }

    private void Enqueue(ReadOnlyMemory<byte> frame)
    {
        (_queue ??= new Queue<ReadOnlyMemory<byte>>()).Enqueue(frame);
        StartWriter();
    }

    /// <summary>Under the lock: starts the writer unless it runs (on the pool: a relay never writes on its sender's thread).</summary>
    private void StartWriter()
    {
        if (_writing || !_sending)
        {
            return;
        }

        _writing = true;
        _writeCancel = new CancellationTokenSource();
        _writer = Task.Run(WriteQueuedAsync);
    }

    /// <summary>Writes queued frames in order; once the queue is empty it ends and drops the queue (half-closing if completed).</summary>
    private async Task WriteQueuedAsync()
    {
        CancellationToken cancel;
        lock (_gate)
        {
            cancel = _writeCancel!.Token;
        }

        var ended = false;
        try
        {
            while (TryDequeue(out var frame))
            {
                var type = (ChatFrameType)frame.Span[0];
                if (!Transport.Session.CanSend(type))
                {
                    continue; // e.g. a relay that raced a kick
                }

                Transport.Session.Sending(type);
                await Transport.Frames.WriteFrameAsync(frame, cancel).ConfigureAwait(false);
            }

            ended = true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            if (!cancel.IsCancellationRequested)
            {
                Abort("connection lost while sending: " + e.Message);
            }

            lock (_gate)
            {
                EndWriterLocked(finished: true);
            }

            ended = true;
        }
        finally
        {
            if (!ended)
            {
                lock (_gate)
                {
                    EndWriterLocked(finished: false); // a bug: the faulted task stays for RunClientAsync to rethrow
                }
            }
        }
    }

    /// <summary>The next frame, or false when there is none: then the writer has ended (queue dropped; half-closed if completed).</summary>
    private bool TryDequeue(out ReadOnlyMemory<byte> frame)
    {
        lock (_gate)
        {
            if (_queue is { Count: > 0 })
            {
                frame = _queue.Dequeue();
                return true;
            }

            if (_completed && !_writeCancel!.IsCancellationRequested)
            {
                Transport.ShutdownSend();
            }

            EndWriterLocked(finished: true);
        }

        frame = default;
        return false;
    }

    /// <summary>Under the lock. A finished writer is forgotten (an idle client keeps no task); a faulted one is kept.</summary>
    private void EndWriterLocked(bool finished)
    {
        _queue = null;
        _writeCancel!.Dispose();
        _writeCancel = null;
        _writing = false;
        if (finished)
        {
            _writer = Task.CompletedTask;
        }
    }

    /// <summary>After the connection's end (the writer has stopped and disposed its cancellation source itself).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _queue = null;
            _writeCancel?.Dispose();
            _writeCancel = null;
        }
    }
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

    /// <summary>Cuts the TCP connection: pending reads and writes fail at once.</summary>
    public void Abort() => _socket.Dispose();

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
