using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Session;
using SafeWire.Chat.Wire;
using SafeWire.Protocol;
using SafeWire.Transport;

namespace SafeWire.Chat.Server;

/// <summary>
/// The chat server: accepts connections asynchronously (no thread per client), runs the handshake through the
/// configured <see cref="IChannelAuthenticator"/>, enforces max clients, relays chat, acknowledges every message,
/// forwards end-to-end bytes between clients without looking inside, and optionally moves each client to a
/// fresh port (port hopping). The admin console drives it through <see cref="List"/>, <see cref="Kick"/>,
/// <see cref="Broadcast"/>, <see cref="Stats"/> and <see cref="StopAsync"/>.
/// </summary>
/// <example>
/// A server for clients holding a certificate from the home CA, printing each chat line:
/// <code>
/// var home = SafeWireHome.Resolve(null);
/// using var credential = home.LoadOrCreateServerCredential("chat", ["localhost"], [IPAddress.Loopback]);
/// await using var server = new ChatServer(new ChatServerOptions
/// {
///     Port = 10101,
///     ServerName = "team",
///     Authenticator = new SecureStreamAuthenticator(
///         new SecureServerOptions { ServerCredential = credential, ClientVerifier = home.CreateCaVerifier(), RequireClientCredential = true },
///         client: null),
/// });
/// server.EventRaised += e =>
/// {
///     if (e is MessageReceived m)
///     {
///         Console.WriteLine($"{m.Name}: {m.Text}");
///     }
/// };
/// server.Start();
/// await server.Completion;   // until StopAsync is called
/// </code>
/// </example>
public sealed partial class ChatServer : IAsyncDisposable
{
    /// <summary>The server's own deadline waits this much longer than the authenticator's, so handshake_timeout goes out first.</summary>
    private static readonly TimeSpan s_handshakeGrace = TimeSpan.FromSeconds(1);

    private static readonly byte[] s_handshakeTimeoutAlert = SecureListener.AlertRecord(Protocol.Alert.HandshakeTimeout);
    private static readonly byte[] s_busyAlert = SecureListener.AlertRecord(Protocol.Alert.ServerBusy);

    private readonly ChatServerOptions _options;
    private readonly ILogger _logger;
    private readonly ConnectionRegistry _registry;
    private readonly ConnectionAdmission _admission;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _drainCutOff = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DateTimeOffset _startedAt;
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private bool _disposed;
    private long _accepted;
    private long _refused;
    private long _failed;
    private long _relayed;
    private long _directBytes;
    private long _closedBytesIn;
    private long _closedBytesOut;
    private int _stopRequested;
    private int _open; // connections being handled (a count, not a collection: nothing per connection)

    /// <summary>Creates a stopped server with <paramref name="options"/> (read once, here and at <see cref="Start"/>); <paramref name="logger"/> receives its diagnostics.</summary>
    public ChatServer(ChatServerOptions options, ILogger<ChatServer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxClients, 1);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _registry = new ConnectionRegistry(options.MaxClients);
        var admission = (options.Admission ?? new AdmissionOptions()).Clone();
        admission.HandshakeTimeout = options.HandshakeTimeout;
        admission.MaxPendingConnections = options.MaxConcurrentHandshakes;
        admission.MaxConnections = options.MaxClients + Math.Max(16, options.MaxConcurrentHandshakes); // room to tell the next ones "server full"
        admission.TimeProvider = options.Time;
        var log = admission.Log;
        admission.Log = line =>
        {
            log?.Invoke(line);
            Raise(new AdmissionSummary(Now, line));
        };
        _admission = new ConnectionAdmission(admission);
        _startedAt = options.Time.GetUtcNow();
    }

    /// <summary>Admission and tracking of every open connection (the control port's).</summary>
    public ConnectionAdmission Admission => _admission;

    /// <summary>Everything worth showing: joins, leaves, messages, refusals, hops. Raised on pool threads.</summary>
    public event Action<ChatServerEvent>? EventRaised;

    /// <summary>The bound control port.</summary>
    public int Port { get; private set; }

    /// <summary>Completes when the server has stopped.</summary>
    public Task Completion => _stopped.Task;

    /// <summary>Binds the control port and starts accepting.</summary>
    public void Start()
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("The server is already started.");
        }

        _listener = new TcpListener(_options.Address, _options.Port);
        _listener.Start(backlog: 512);
        var endPoint = (IPEndPoint)_listener.LocalEndpoint;
        Port = endPoint.Port;
        Raise(new ServerListening(Now, endPoint));
        _acceptLoop = AcceptLoopAsync(_listener);
    }

    /// <summary>The clients in the conversation now, by id (the admin console's <c>list</c>).</summary>
    public IReadOnlyList<ConnectionInfo> List() =>
        [.. _registry.All.Where(c => c.Joined).Select(c => c.Info()).OrderBy(c => c.Id)];

    /// <summary>Counters since the server started, and bytes moved so far (the admin console's <c>stats</c>).</summary>
    public ChatServerStats Stats()
    {
        long bytesIn = Interlocked.Read(ref _closedBytesIn), bytesOut = Interlocked.Read(ref _closedBytesOut);
        foreach (var client in _registry.All)
        {
            bytesIn += client.Transport.Counter.BytesIn;
            bytesOut += client.Transport.Counter.BytesOut;
        }

        return new ChatServerStats(
            _registry.All.Count(c => c.Joined),
            _registry.MaxClients,
            Interlocked.Read(ref _accepted),
            Interlocked.Read(ref _refused),
            Interlocked.Read(ref _failed),
            Interlocked.Read(ref _relayed),
            Interlocked.Read(ref _directBytes),
            bytesIn,
            bytesOut,
            Now - _startedAt);
    }

    /// <summary>Removes a client; it receives <paramref name="reason"/> first. False when there is no such client.</summary>
    public bool Kick(uint id, string reason)
    {
        var client = _registry.Find(id);
        if (client is null || !client.Joined)
        {
            return false;
        }

        client.Close("kicked: " + reason, new KickedMessage(reason));
        _ = AbortAfterDrainAsync(client);
        return true;
    }

    /// <summary>Sends an administrator's line to every client; returns how many it was queued for.</summary>
    public int Broadcast(string text)
    {
        var frame = ChatFrameCodec.Encode(new BroadcastMessage(Now, text));
        return _registry.All.Count(c => c.Joined && c.TryEnqueue(frame));
    }

    /// <summary>Tells every client the server is stopping, lets them drain, closes everything.</summary>
    /// <param name="reason">The line every client is shown.</param>
    /// <param name="cancellationToken">
    /// Ends the graceful part: clients still draining are cut off at once instead of after
    /// <see cref="ChatServerOptions.DrainTimeout"/>. The returned task still completes only once the server has stopped.
    /// </param>
    public async Task StopAsync(string reason = "the server is shutting down", CancellationToken cancellationToken = default)
    {
        using var hurry = cancellationToken.UnsafeRegister(static state => ((ChatServer)state!).CutOffDrain(), this);
        if (Interlocked.Exchange(ref _stopRequested, 1) == 1)
        {
            await Completion.ConfigureAwait(false);
            return;
        }

        try
        {
            _listener?.Stop();
            _admission.BeginStop();
            foreach (var client in _registry.All)
            {
                client.Close("server stopped", new ServerStoppingMessage(reason));
            }

            if (Volatile.Read(ref _open) == 0)
            {
                _allClosed.TrySetResult();
            }

            // Clients leave on their own once they read ServerStopping; after the drain time they are cut off.
            await Task.WhenAny(_allClosed.Task, Task.Delay(_options.DrainTimeout, _options.Time, _drainCutOff.Token)).ConfigureAwait(false);
            await _stopping.CancelAsync().ConfigureAwait(false);
            foreach (var client in _registry.All)
            {
                client.Abort("server stopped");
            }

            await Task.WhenAny(_allClosed.Task, Task.Delay(TimeSpan.FromSeconds(2), _options.Time, CancellationToken.None)).ConfigureAwait(false);
            if (_acceptLoop is not null)
            {
                await _acceptLoop.ConfigureAwait(false);
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>Stops the server as <see cref="StopAsync"/> does, then releases its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        lock (_drainCutOff)
        {
            _drainCutOff.Dispose();
            _disposed = true;
        }

        _admission.Dispose();
    }

    private DateTimeOffset Now => _options.Time.GetUtcNow();

    private void CutOffDrain()
    {
        lock (_drainCutOff)
        {
            if (!_disposed)
            {
                _drainCutOff.Cancel();
            }
        }
    }

    private void Raise(ChatServerEvent e)
    {
        try
        {
            EventRaised?.Invoke(e);
        }
#pragma warning disable CA1031 // A faulty event handler must not take a connection down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandlerFailed(_logger, ex);
        }
    }

    private async Task AcceptLoopAsync(TcpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                break; // listener stopped
            }

            Interlocked.Increment(ref _accepted);
            _ = HandleConnectionAsync(socket, Port);
        }
    }

    /// <summary>One connection's whole life in one try/finally.</summary>
    private async Task HandleConnectionAsync(Socket socket, int localPort)
    {
        Interlocked.Increment(ref _open); // counted here and uncounted in the finally, whatever throws in between
        IPEndPoint? remote = null;
        ConnectionLease? lease = null;
        ConnectedTransport? control = null;
        ClientConnection? client = null;
        try
        {
            await Task.Yield(); // leave the accept loop at once
            remote = socket.RemoteEndPoint as IPEndPoint;
            if (_admission.TryAdmit(remote, out lease) != AdmissionResult.Admitted)
            {
                Interlocked.Increment(ref _refused);
                SecureListener.RefuseBusy(socket);
                return;
            }

            control = await HandshakeAsync(socket, remote!, localPort, ChatSessionState.AwaitingHello, lease).ConfigureAwait(false);
            if (control is null)
            {
                return;
            }

            lease!.MarkProgress();
            var hello = await ReadFirstAsync<HelloMessage>(control, lease).ConfigureAwait(false);
            var name = ChooseName(control, hello.Name);
            client = new ClientConnection(_registry.NextId(), name, control, Now, _options.MaxQueuedFrames) { SendOnly = hello.SendOnly };
            if (_stopRequested == 1 || !lease!.MarkAuthenticated() || !_registry.TryAdd(client))
            {
                var full = _stopRequested == 1
                    ? new RefusedMessage(RefusalReason.ServerStopping, "the server is shutting down")
                    : new RefusedMessage(RefusalReason.ServerFull, $"server full: {_registry.MaxClients} of {_registry.MaxClients} clients are connected; try again later");
                await RefuseAsync(control, full, name).ConfigureAwait(false);
                client = null;
                return;
            }

            if (_options.HopPorts is { } range)
            {
                var hopped = await HopAsync(client, control, range).ConfigureAwait(false);
                if (hopped is null)
                {
                    return;
                }

                client.Transport = hopped;
                await control.DisposeAsync().ConfigureAwait(false);
                control = hopped;
            }

            await RunClientAsync(client).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            Failed(remote, localPort, Describe(e));
        }
#pragma warning disable CA1031 // Last resort: a bug in one connection is logged and ends that connection only.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogConnectionCrashed(_logger, remote, e);
            Failed(remote, localPort, $"internal error ({e.GetType().Name}): {e.Message}");
        }
        finally
        {
            if (client is not null)
            {
                _registry.Remove(client);
                Interlocked.Add(ref _closedBytesIn, client.Transport.Counter.BytesIn);
                Interlocked.Add(ref _closedBytesOut, client.Transport.Counter.BytesOut);
                client.Dispose();
            }

            try
            {
                if (control is not null)
                {
                    await control.DisposeAsync().ConfigureAwait(false);
                }
                else
                {
                    socket.Dispose();
                }
            }
            finally
            {
                lease?.Dispose();
                if (Interlocked.Decrement(ref _open) == 0 && Volatile.Read(ref _stopRequested) == 1)
                {
                    _allClosed.TrySetResult();
                }
            }
        }
    }

    /// <summary>A connection failed before it joined: the event for the console, and the admission's rate-limited log.</summary>
    private void Failed(IPEndPoint? remote, int localPort, string reason)
    {
        Interlocked.Increment(ref _failed);
        _admission.ReportFailure(remote, reason);
        Raise(new ConnectionFailed(Now, remote, localPort, reason));
    }

    /// <summary>
    /// TCP → handshake, bounded by the admission policy: the first bytes within its first-bytes deadline (else a
    /// plaintext handshake_timeout alert), the handshake by the authenticator's own timeout, with this server's
    /// deadline a second later as a backstop (so the authenticator is the one to send handshake_timeout), a drop to
    /// make room, and the server stopping. Null (and an event) when it fails. Hop-port connections come without a lease.
    /// </summary>
    private async Task<ConnectedTransport?> HandshakeAsync(Socket socket, IPEndPoint remote, int localPort, ChatSessionState initialState, ConnectionLease? lease)
    {
        var network = new NetworkStream(socket, ownsSocket: false);
        var counter = new CountingStream(network);
        var limit = lease?.HandshakeTimeLeft ?? _options.HandshakeTimeout;
        using var backstop = new CancellationTokenSource(limit + s_handshakeGrace, _options.Time);
        using var token = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, backstop.Token, lease?.Aborted ?? CancellationToken.None);
        using var first = new CancellationTokenSource(Min(_admission.Options.FirstBytesTimeout, limit), _options.Time);
        using var firstOrAbort = CancellationTokenSource.CreateLinkedTokenSource(token.Token, first.Token);
        try
        {
            try
            {
                await SocketReadiness.WaitForDataAsync(network, firstOrAbort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (first.IsCancellationRequested && !token.IsCancellationRequested)
            {
                await network.WriteAsync(s_handshakeTimeoutAlert, _stopping.Token).ConfigureAwait(false);
                throw new TimeoutException($"handshake not finished within {Min(_admission.Options.FirstBytesTimeout, limit).TotalSeconds:0.#} s: the client sent nothing");
            }

            if (lease is not null)
            {
                SecureListener.MarkProgressOnCompleteRecord(socket, lease);
            }

            var channel = await _options.Authenticator.AuthenticateAsServerAsync(counter, token.Token).ConfigureAwait(false);
            LogHandshakeDone(_logger, remote, localPort, channel.RemoteIdentity is { } peer
                ? (peer.Name.Length > 0 ? $"{peer.Name} (key {peer.Fingerprint})" : $"key {peer.Fingerprint}")
                : "without a key");
            var frames = new ChatFramer(channel.Stream, _options.FrameObserver);
            return new ConnectedTransport(socket, counter, channel, frames, new ChatSession(initialState), remote, localPort);
        }
#pragma warning disable CA1031 // Whatever the handshake throws (trust, protocol, I/O, timeout) ends this connection only.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var reason = e switch
            {
                TimeoutException => e.Message,
                SecureChannelException { Alert: Alert.HandshakeTimeout } => $"handshake not finished within {limit.TotalSeconds:0.#} s",
                _ when backstop.IsCancellationRequested && !_stopping.IsCancellationRequested => $"handshake not finished within {limit.TotalSeconds:0.#} s",
                _ when lease is { Aborted.IsCancellationRequested: true } && !_stopping.IsCancellationRequested => "dropped: still in its handshake when a new connection needed its place",
                _ => "handshake failed: " + Describe(e),
            };
            Failed(remote, localPort, reason);
            if (lease is { Aborted.IsCancellationRequested: true } || _stopping.IsCancellationRequested)
            {
                // Dropped for a newcomer, or stopping: tell the client "server busy, retry" (a plaintext alert, which a
                // client still in its handshake takes as the server's), not a bare close.
                await TrySendAsync(socket, s_busyAlert).ConfigureAwait(false);
            }

            await counter.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Best effort, at most a second: the peer may be gone or not reading.</summary>
    private async Task TrySendAsync(Socket socket, byte[] bytes)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(1), _options.Time);
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None, patience.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b)
    {
        var min = a < b ? a : b;
        return min > TimeSpan.Zero ? min : TimeSpan.FromTicks(1);
    }

    /// <summary>Reads the one frame a fresh connection must start with, within what is left of the handshake deadline.</summary>
    private async Task<T> ReadFirstAsync<T>(ConnectedTransport transport, ConnectionLease? lease)
        where T : ChatMessage
    {
        using var timeout = new CancellationTokenSource(Min(lease?.HandshakeTimeLeft ?? _options.HandshakeTimeout, _options.HandshakeTimeout) + s_handshakeGrace, _options.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, timeout.Token, lease?.Aborted ?? CancellationToken.None);
        var message = await transport.Frames.ReadAsync(linked.Token).ConfigureAwait(false)
            ?? throw new IOException("the client closed the connection before saying hello");
        transport.Session.Received(message.Type);
        return message as T ?? throw new ChatProtocolException($"Expected {typeof(T).Name}, got {message.Type}.");
    }

    /// <summary>A certificate or allow-list name wins over the name the client asked for: names shown to others are not spoofable.</summary>
    private static string ChooseName(ConnectedTransport transport, string requested)
    {
        var verified = transport.Channel.RemoteIdentity?.Name;
        var name = !string.IsNullOrWhiteSpace(verified) ? verified : requested.Trim();
        if (string.IsNullOrEmpty(name))
        {
            name = "anonymous";
        }

        return name.Length > 32 ? name[..32] : name;
    }

    private async Task RefuseAsync(ConnectedTransport transport, RefusedMessage refusal, string? name)
    {
        Interlocked.Increment(ref _refused);
        Raise(new ClientRefused(Now, transport.RemoteEndPoint, name, refusal.Text));
        transport.Session.Sending(refusal.Type);
        await transport.Frames.WriteAsync(refusal, _stopping.Token).ConfigureAwait(false);
        transport.ShutdownSend();
        await WaitForPeerCloseAsync(transport).ConfigureAwait(false);
    }

    /// <summary>After our last frame, give the peer a moment to read it and close first.</summary>
    private async Task WaitForPeerCloseAsync(ConnectedTransport transport)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        var sink = new byte[256];
        try
        {
            while (await transport.Channel.Stream.ReadAsync(sink, timeout.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The conversation: welcome, then one frame at a time until the client leaves or is cut off.</summary>
    private async Task RunClientAsync(ClientConnection client)
    {
        var reason = "left";
        try
        {
            client.TryEnqueue(ChatFrameCodec.Encode(WelcomeFor(client)));
            client.StartSending();
            if (_options.BeforeJoin is { } beforeJoin)
            {
                await beforeJoin(client.Name, _stopping.Token).ConfigureAwait(false);
            }

            client.Joined = true;
            var info = client.Info();
            Raise(new ClientJoined(Now, info));
            SendToOthers(client, ChatFrameCodec.Encode(new MemberJoinedMessage(client.Member)), chatOnly: true);

            // The server-wide token, not one per connection: the socket's cached receive operation keeps its last
            // cancellation registration, and one from a finished per-connection source (the handshake's timeout)
            // would keep that source and its registrations alive for as long as the client stays idle.
            var frames = client.Transport.Frames;
            reason = "disconnected"; // unless it says bye
            while (await frames.ReadAsync(_stopping.Token).ConfigureAwait(false) is { } message)
            {
                if (client.IsClosing)
                {
                    continue; // kicked or stopping: the client has not read that yet
                }

                client.Transport.Session.Received(message.Type);
                if (!Handle(client, message))
                {
                    reason = "left";
                    break;
                }
            }
        }
        catch (ChatProtocolException e)
        {
            reason = "protocol error: " + e.Message;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            reason = "connection lost: " + Describe(e);
        }
        catch (OperationCanceledException)
        {
            reason = "connection closed";
        }
        finally
        {
            reason = client.CloseReason ?? reason;
            client.StopWriting(reason);
            await client.WriterStopped.ConfigureAwait(false);
            _registry.Remove(client);
            if (client.Joined)
            {
                SendToOthers(client, ChatFrameCodec.Encode(new MemberLeftMessage(client.Member, reason)), chatOnly: true);
                Raise(new ClientLeft(Now, client.Info(), reason));
            }
        }
    }

    /// <summary>The welcome lists the others (in its own method: a lambda capturing the client would stay alive in the idle read loop).</summary>
    private WelcomeMessage WelcomeFor(ClientConnection client)
    {
        var others = _registry.All.Where(c => c.Joined && c != client).ToList();
        var members = others.Select(c => c.Member).OrderBy(m => m.Id).Take(ChatLimits.MaxListedMembers).ToList();
        return new WelcomeMessage(client.Id, client.Name, _options.ServerName, (uint)others.Count, members);
    }

    /// <summary>Acts on one frame from a client in the conversation; false when it said bye.</summary>
    private bool Handle(ClientConnection client, ChatMessage message)
    {
        switch (message)
        {
            case ChatTextMessage chat:
                client.CountMessage();
                Raise(new MessageReceived(Now, client.Id, client.Name, chat.Text));
                var delivered = SendToOthers(client, ChatFrameCodec.Encode(new RelayedMessage(client.Id, client.Name, Now, chat.Text)), chatOnly: true);
                Interlocked.Increment(ref _relayed);
                client.TryEnqueue(ChatFrameCodec.Encode(new AckMessage(chat.MessageId, (uint)delivered)));
                return true;
            case WhoMessage:
                var everyone = _registry.All.Where(c => c.Joined).ToList();
                var members = everyone.Select(c => c.Member).OrderBy(m => m.Id).Take(ChatLimits.MaxListedMembers).ToList();
                client.TryEnqueue(ChatFrameCodec.Encode(new WhoListMessage((uint)everyone.Count, members)));
                return true;
            case DirectDataMessage data:
                ForwardDirect(client, data.PeerId, data.ChannelId, data.FromInitiator, data with { PeerId = client.Id }, data.Data.Length);
                return true;
            case DirectCloseMessage close:
                ForwardDirect(client, close.PeerId, close.ChannelId, close.FromInitiator, close with { PeerId = client.Id }, 0);
                return true;
            case ByeMessage:
                return false;
            default:
                throw new ChatProtocolException($"A client may not send {message.Type} frames.");
        }
    }

    /// <summary>Forwards an end-to-end frame, rewriting the peer id to the sender's. The bytes are opaque here.</summary>
    private void ForwardDirect(ClientConnection from, uint toId, uint channelId, bool fromInitiator, ChatMessage rewritten, int bytes)
    {
        var target = _registry.Find(toId);
        if (target is not null && target.Joined && target != from && target.TryEnqueue(ChatFrameCodec.Encode(rewritten)))
        {
            Interlocked.Add(ref _directBytes, bytes);
            if (bytes > 0)
            {
                Raise(new DirectRelayed(Now, from.Id, toId, bytes));
            }

            return;
        }

        if (rewritten is DirectDataMessage)
        {
            // Tell the sender its session is over, as if the missing peer had closed it.
            from.TryEnqueue(ChatFrameCodec.Encode(new DirectCloseMessage(toId, channelId, !fromInitiator, $"no client with id {toId} is connected")));
        }
    }

    /// <summary>Queues a frame for every other joined client (<paramref name="chatOnly"/>: chat and presence, which send-only clients skip).</summary>
    private int SendToOthers(ClientConnection from, ReadOnlyMemory<byte> frame, bool chatOnly = false)
    {
        var count = 0;
        foreach (var client in _registry.All)
        {
            if (client != from && client.Joined && !(chatOnly && client.SendOnly) && client.TryEnqueue(frame))
            {
                count++;
            }
        }

        return count;
    }

    private async Task AbortAfterDrainAsync(ClientConnection client)
    {
        try
        {
            await Task.Delay(_options.DrainTimeout, _options.Time).ConfigureAwait(false);
        }
        finally
        {
            client.Abort(client.CloseReason ?? "closed");
        }
    }

    private static string Describe(Exception e) => e switch
    {
        OperationCanceledException => "timed out or cancelled",
        Transport.SecureChannelException { TrustFailure: { } reason } => $"{reason}: {e.Message}",
        Transport.SecureChannelException secure => $"{secure.Alert}: {e.Message}",
        _ when e.InnerException is { } inner && e.Message.Length == 0 => inner.Message,
        _ => e.Message,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Handshake with {Remote} on port {LocalPort} done; peer {Peer}")]
    private static partial void LogHandshakeDone(ILogger logger, IPEndPoint remote, int localPort, string peer);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Connection from {Remote} failed unexpectedly")]
    private static partial void LogConnectionCrashed(ILogger logger, IPEndPoint? remote, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "A server event handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);
}
