using System.Collections.Concurrent;
using System.Net.Sockets;
using SafeWire.Chat.Channels;
using SafeWire.Chat.Session;
using SafeWire.Chat.Wire;
using SafeWire.Identity;

namespace SafeWire.Chat.Client;

/// <summary>
/// A chat client: connects and authenticates, says hello, follows a hop offer to the new port, then sends chat
/// lines (each acknowledged), asks who is here, and exchanges end-to-end direct messages with other clients.
/// <see cref="RunAsync"/> is the single reader; it must run for acks, who-lists and direct messages to arrive.
/// </summary>
/// <example>
/// <code>
/// var home = SafeWireHome.Resolve(null);
/// using var credential = home.LoadOrCreateClientCredential("alice");
/// var options = new ChatClientOptions
/// {
///     Name = "alice",
///     Authenticator = new SecureStreamAuthenticator(server: null,
///         new SecureClientOptions { ServerVerifier = home.CreateCaVerifier(), ClientCredential = credential }),
/// };
/// await using var client = await ChatClient.ConnectAsync("localhost", 10101, options);
/// client.MessageReceived += message =>
/// {
///     if (message is RelayedMessage relayed)
///     {
///         Console.WriteLine($"{relayed.FromName}: {relayed.Text}");
///     }
/// };
/// var run = client.RunAsync();
/// var ack = await client.SendAsync("hello");   // completes once the server relayed it
/// Console.WriteLine($"delivered to {ack.DeliveredTo}");
/// await client.QuitAsync();
/// Console.WriteLine((await run).Message);
/// </code>
/// </example>
public sealed class ChatClient : IAsyncDisposable
{
    private readonly ChatClientOptions _options;
    private readonly TcpClient _tcp;
    private readonly IChatChannel _channel;
    private readonly ChatFramer _framer;
    private readonly ChatSession _session;
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<AckMessage>> _pendingAcks = new();
    private readonly ConcurrentQueue<TaskCompletionSource<IReadOnlyList<ChatMember>>> _pendingWho = new();
    private readonly ConcurrentDictionary<uint, ChatMember> _members = new();
    private readonly ConcurrentDictionary<(uint, uint, bool), RelayedStream> _direct = new();
    private readonly List<Task> _inboundDirect = [];

    // Per peer, the highest channel id it has started a session with: initiators number their sessions upwards,
    // so bytes for a lower or equal id belong to a session already over (e.g. its close_notify) and start nothing.
    private readonly Dictionary<uint, uint> _highestInbound = [];
    private int _nextMessageId;
    private int _nextChannelId;

    private ChatClient(ChatClientOptions options, TcpClient tcp, IChatChannel channel, ChatFramer framer, ChatSession session, WelcomeMessage welcome, int controlPort, int port)
    {
        _options = options;
        _tcp = tcp;
        _channel = channel;
        _framer = framer;
        _session = session;
        ClientId = welcome.ClientId;
        Name = welcome.Name;
        ServerName = welcome.ServerName;
        ControlPort = controlPort;
        Port = port;
        OthersAtWelcome = (int)welcome.Total;
        foreach (var member in welcome.Members)
        {
            _members[member.Id] = member;
        }
    }

    /// <summary>A frame from the server other than acks and who-lists (relayed chat, broadcasts, joins, leaves, notices).</summary>
    public event Action<ChatMessage>? MessageReceived;

    /// <summary>A direct message arrived over a verified end-to-end session.</summary>
    public event Action<DirectMessage>? DirectMessageReceived;

    /// <summary>An incoming end-to-end session failed (e.g. the peer's identity was not trusted).</summary>
    public event Action<string>? DirectFailed;

    /// <summary>The server's number for this connection (what its administrator kicks by).</summary>
    public uint ClientId { get; }

    /// <summary>The name the server shows for this client: the asked-for name, or the verified one from its certificate or allow-list.</summary>
    public string Name { get; }

    /// <summary>The name the server gave in its welcome.</summary>
    public string ServerName { get; }

    /// <summary>The server as the trust policy accepted it in the handshake.</summary>
    public PeerIdentity? ServerIdentity => _channel.RemoteIdentity;

    /// <summary>The cipher suite of the session with the server.</summary>
    public string CipherSuite => _channel.CipherSuite;

    /// <summary>The port the handshake started on.</summary>
    public int ControlPort { get; }

    /// <summary>The port the conversation runs on (differs from <see cref="ControlPort"/> after a hop).</summary>
    public int Port { get; }

    /// <summary>True when the server moved this client to a hop port after the handshake.</summary>
    public bool Hopped => Port != ControlPort;

    /// <summary>How many others were connected when this client joined (<see cref="Members"/> lists at most 500 of them).</summary>
    public int OthersAtWelcome { get; }

    /// <summary>Other clients as last heard from the server.</summary>
    public IReadOnlyList<ChatMember> Members => [.. _members.Values.OrderBy(m => m.Id)];

    /// <summary>Connects, authenticates, hops if offered, and returns once welcomed. Refusals throw <see cref="ChatRefusedException"/>.</summary>
    public static async Task<ChatClient> ConnectAsync(string host, int port, ChatClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var ct = timeout.Token;

        var (tcp, channel, framer) = await OpenAsync(host, port, options, ct).ConfigureAwait(false);
        try
        {
            var session = new ChatSession(ChatSessionState.AwaitingHello);
            session.Sending(ChatFrameType.Hello);
            await framer.WriteAsync(new HelloMessage(options.Name, options.SendOnly), ct).ConfigureAwait(false);
            var answer = await ReadAnswerAsync(framer, session, ct).ConfigureAwait(false);
            if (answer is WelcomeMessage welcome)
            {
                return new ChatClient(options, tcp, channel, framer, session, welcome, port, port);
            }

            // Port hopping: a fresh handshake on the offered port, then the proof bound to this session.
            var hopPort = ((HopOfferMessage)answer).Port;
            var (hopTcp, hopChannel, hopFramer) = await OpenAsync(host, hopPort, options, ct).ConfigureAwait(false);
            try
            {
                var hopSession = new ChatSession(ChatSessionState.AwaitingHopProof);
                var proof = new byte[ChatLimits.HopProofLength];
                HopProof.Compute(channel, hopPort, proof);
                hopSession.Sending(ChatFrameType.HopProof);
                await hopFramer.WriteAsync(new HopProofMessage(proof), ct).ConfigureAwait(false);
                var hopWelcome = (WelcomeMessage)await ReadAnswerAsync(hopFramer, hopSession, ct).ConfigureAwait(false);
                await CloseQuietlyAsync(tcp, channel).ConfigureAwait(false);
                return new ChatClient(options, hopTcp, hopChannel, hopFramer, hopSession, hopWelcome, port, hopPort);
            }
            catch
            {
                await CloseQuietlyAsync(hopTcp, hopChannel).ConfigureAwait(false);
                throw;
            }
        }
        catch (Exception e)
        {
            await CloseQuietlyAsync(tcp, channel).ConfigureAwait(false);
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The server at {host}:{port} did not answer within {options.ConnectTimeout.TotalSeconds:0.#} s.", e);
            }

            throw;
        }
    }

    /// <summary>Reads frames until the session ends; returns why. Call once.</summary>
    public async Task<ClientExit> RunAsync(CancellationToken cancellationToken = default)
    {
        ClientExit exit;
        try
        {
            exit = await ReadLoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChatProtocolException e)
        {
            exit = new ClientExit(ClientExitReason.ConnectionLost, "protocol error from the server: " + e.Message);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            exit = _session.State == ChatSessionState.Closed
                ? new ClientExit(ClientExitReason.Quit, "left the chat")
                : new ClientExit(ClientExitReason.ConnectionLost, "connection to the server lost: " + e.Message);
        }
        catch (OperationCanceledException)
        {
            exit = new ClientExit(ClientExitReason.Quit, "left the chat");
        }

        _session.Close();
        await CloseQuietlyAsync(_tcp, _channel).ConfigureAwait(false); // the session is over: let the server see it at once
        var failure = new IOException(exit.Message);
        foreach (var (_, pending) in _pendingAcks)
        {
            pending.TrySetException(failure);
        }

        while (_pendingWho.TryDequeue(out var who))
        {
            who.TrySetException(failure);
        }

        foreach (var (_, stream) in _direct)
        {
            stream.CompleteIncoming();
        }

        return exit;
    }

    /// <summary>Sends a chat line; completes with the server's acknowledgement.</summary>
    public async Task<AckMessage> SendAsync(string text, CancellationToken cancellationToken = default)
    {
        var id = (uint)Interlocked.Increment(ref _nextMessageId);
        var ack = new TaskCompletionSource<AckMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingAcks[id] = ack;
        try
        {
            await SendFrameAsync(new ChatTextMessage(id, text), cancellationToken).ConfigureAwait(false);
            return await ack.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pendingAcks.TryRemove(id, out _);
        }
    }

    /// <summary>Asks the server who is connected (this client included).</summary>
    public async Task<IReadOnlyList<ChatMember>> WhoAsync(CancellationToken cancellationToken = default)
    {
        var answer = new TaskCompletionSource<IReadOnlyList<ChatMember>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingWho.Enqueue(answer);
        await SendFrameAsync(new WhoMessage(), cancellationToken).ConfigureAwait(false);
        return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="text"/> to one client over a fresh end-to-end SafeWire session relayed by the server;
    /// returns the identity that answered that handshake. The server only ever sees the session's records.
    /// </summary>
    public async Task<PeerIdentity?> SendDirectAsync(string name, string text, CancellationToken cancellationToken = default)
    {
        var authenticatorFor = _options.DirectAuthenticator
            ?? throw new InvalidOperationException("Direct messages need ChatClientOptions.DirectAuthenticator.");
        var member = FindMember(name) ?? (await WhoAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(m => m.Id != ClientId && NameIs(m, name))
            ?? throw new ArgumentException($"No client named \"{name}\" is connected.", nameof(name));

        var stream = new RelayedStream(this, member.Id, (uint)Interlocked.Increment(ref _nextChannelId), weInitiated: true);
        _direct[stream.Key] = stream;
        await using (stream.ConfigureAwait(false))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ConnectTimeout);
            var e2e = await authenticatorFor(member).AuthenticateAsClientAsync(stream, member.Name, timeout.Token).ConfigureAwait(false);
            await using (e2e.ConfigureAwait(false))
            {
                // Inside the end-to-end session: one Chat frame, answered by one Ack from the peer itself.
                var inner = new ChatFramer(e2e.Stream);
                await inner.WriteAsync(new ChatTextMessage(1, text), timeout.Token).ConfigureAwait(false);
                if (await inner.ReadAsync(timeout.Token).ConfigureAwait(false) is not AckMessage)
                {
                    throw new IOException($"{member.Name} did not acknowledge the direct message.");
                }

                return e2e.RemoteIdentity;
            }
        }
    }

    /// <summary>Says goodbye; <see cref="RunAsync"/> then returns <see cref="ClientExitReason.Quit"/>.</summary>
    /// <param name="cancellationToken">Stops waiting for the goodbye to be written; the sending side is closed either way.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the goodbye was written.</exception>
    public async Task QuitAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            if (_session.CanSend(ChatFrameType.Bye))
            {
                try
                {
                    await SendFrameAsync(new ByeMessage(), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                {
                }
            }
        }
        finally
        {
            ShutdownSend();
        }
    }

    /// <summary>Closes the connection without saying goodbye (call <see cref="QuitAsync"/> first for a clean leave) and waits briefly for incoming direct-message sessions to end.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] inbound;
        lock (_inboundDirect)
        {
            inbound = [.. _inboundDirect];
        }

        await CloseQuietlyAsync(_tcp, _channel).ConfigureAwait(false);
        await Task.WhenAll(inbound).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    internal async ValueTask SendDirectFrameAsync(ChatMessage frame, CancellationToken cancellationToken) =>
        await SendFrameAsync(frame, cancellationToken).ConfigureAwait(false);

    internal void ForgetDirect(RelayedStream stream) => _direct.TryRemove(stream.Key, out _);

    private async Task SendFrameAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        _session.Sending(message.Type);
        await _framer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ClientExit> ReadLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await _framer.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (message is null)
            {
                return _session.State == ChatSessionState.Closed
                    ? new ClientExit(ClientExitReason.Quit, "left the chat")
                    : new ClientExit(ClientExitReason.ConnectionLost, "the server closed the connection");
            }

            if (_session.State == ChatSessionState.Closed)
            {
                continue; // we said bye; the server has not read it yet
            }

            _session.Received(message.Type);
            switch (message)
            {
                case AckMessage ack:
                    if (_pendingAcks.TryGetValue(ack.MessageId, out var pending))
                    {
                        pending.TrySetResult(ack);
                    }

                    break;
                case WhoListMessage who:
                    // Replaced entry by entry, never emptied first: a direct session arriving meanwhile must still
                    // find its peer's name.
                    var present = who.Members.Where(m => m.Id != ClientId).ToDictionary(m => m.Id);
                    foreach (var member in present.Values)
                    {
                        _members[member.Id] = member;
                    }

                    foreach (var id in _members.Keys.Where(id => !present.ContainsKey(id)))
                    {
                        _members.TryRemove(id, out _);
                    }

                    if (_pendingWho.TryDequeue(out var waiting))
                    {
                        waiting.TrySetResult(who.Members);
                    }

                    break;
                case DirectDataMessage data:
                    OnDirectData(data);
                    break;
                case DirectCloseMessage close:
                    if (_direct.TryGetValue((close.PeerId, close.ChannelId, !close.FromInitiator), out var closed))
                    {
                        closed.CompleteIncoming();
                    }

                    break;
                case KickedMessage kicked:
                    return new ClientExit(ClientExitReason.Kicked, "kicked by the server administrator: " + kicked.Reason);
                case ServerStoppingMessage stopping:
                    return new ClientExit(ClientExitReason.ServerStopped, "the server stopped: " + stopping.Reason);
                case MemberJoinedMessage joined:
                    _members[joined.Member.Id] = joined.Member;
                    MessageReceived?.Invoke(message);
                    break;
                case MemberLeftMessage left:
                    _members.TryRemove(left.Member.Id, out _);
                    MessageReceived?.Invoke(message);
                    break;
                case RelayedMessage or BroadcastMessage or NoticeMessage:
                    MessageReceived?.Invoke(message);
                    break;
                default:
                    throw new ChatProtocolException($"A server may not send {message.Type} frames.");
            }
        }
    }

    private void OnDirectData(DirectDataMessage data)
    {
        // The sender's "I started it" is our "they started it".
        var key = (data.PeerId, data.ChannelId, !data.FromInitiator);
        if (_direct.TryGetValue(key, out var stream))
        {
            if (!stream.Deliver(data.Data.ToArray()))
            {
                stream.CompleteIncoming(); // reader hopelessly behind: end the session
            }

            return;
        }

        if (!data.FromInitiator || _options.DirectAuthenticator is null)
        {
            return; // late bytes of a session already closed, or direct messages are off
        }

        lock (_inboundDirect)
        {
            if (_highestInbound.TryGetValue(data.PeerId, out var highest) && data.ChannelId <= highest)
            {
                return; // late bytes of a session that is over
            }

            _inboundDirect.RemoveAll(t => t.IsCompleted);
            if (_inboundDirect.Count >= _options.MaxInboundDirectSessions)
            {
                return;
            }

            _highestInbound[data.PeerId] = data.ChannelId;
            stream = new RelayedStream(this, data.PeerId, data.ChannelId, weInitiated: false);
            _direct[key] = stream;
            stream.Deliver(data.Data.ToArray());
            _inboundDirect.Add(ReceiveDirectAsync(stream));
        }
    }

    /// <summary>The other client started an end-to-end session: we answer its handshake as the server side.</summary>
    private async Task ReceiveDirectAsync(RelayedStream stream)
    {
        await Task.Yield();
        var member = _members.TryGetValue(stream.PeerId, out var known) ? known : await AskWhoAsync(stream.PeerId).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.ConnectTimeout);
                var e2e = await _options.DirectAuthenticator!(member).AuthenticateAsServerAsync(stream, timeout.Token).ConfigureAwait(false);
                await using (e2e.ConfigureAwait(false))
                {
                    var inner = new ChatFramer(e2e.Stream);
                    if (await inner.ReadAsync(timeout.Token).ConfigureAwait(false) is not ChatTextMessage text)
                    {
                        throw new ChatProtocolException("expected one Chat frame inside the end-to-end session");
                    }

                    DirectMessageReceived?.Invoke(new DirectMessage(member, e2e.RemoteIdentity, text.Text));
                    await inner.WriteAsync(new AckMessage(text.MessageId, 1), timeout.Token).ConfigureAwait(false);
                }
            }
#pragma warning disable CA1031 // Any failure of one incoming session (trust, protocol, timeout) is reported, never fatal.
            catch (Exception e)
#pragma warning restore CA1031
            {
                DirectFailed?.Invoke($"direct message from {member.Name} rejected: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The member <paramref name="id"/> as the server lists it: a peer's first direct bytes can reach us before the
    /// server's announcement that it joined, and the end-to-end handshake checks the peer under its listed name.
    /// </summary>
    private async Task<ChatMember> AskWhoAsync(uint id)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout);
            if ((await WhoAsync(timeout.Token).ConfigureAwait(false)).FirstOrDefault(m => m.Id == id) is { } listed)
            {
                return listed;
            }
        }
#pragma warning disable CA1031 // The connection may be closing: the session then fails under the placeholder name.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return new ChatMember(id, $"client {id}", string.Empty);
    }

    private ChatMember? FindMember(string name) => _members.Values.FirstOrDefault(m => NameIs(m, name));

    private static bool NameIs(ChatMember member, string name) => string.Equals(member.Name, name, StringComparison.OrdinalIgnoreCase);

    private void ShutdownSend()
    {
        try
        {
            _tcp.Client?.Shutdown(SocketShutdown.Send); // null once RunAsync has closed the connection (the server went first)
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task<(TcpClient, IChatChannel, ChatFramer)> OpenAsync(string host, int port, ChatClientOptions options, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, ct).ConfigureAwait(false);
            var channel = await options.Authenticator.AuthenticateAsClientAsync(tcp.GetStream(), host, ct).ConfigureAwait(false);
            return (tcp, channel, new ChatFramer(channel.Stream, options.FrameObserver));
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private static async Task<ChatMessage> ReadAnswerAsync(ChatFramer framer, ChatSession session, CancellationToken ct)
    {
        var answer = await framer.ReadAsync(ct).ConfigureAwait(false)
            ?? throw new IOException("The server closed the connection before welcoming this client.");
        session.Received(answer.Type);
        return answer is RefusedMessage refused ? throw new ChatRefusedException(refused.Reason, refused.Text) : answer;
    }

    private static async Task CloseQuietlyAsync(TcpClient tcp, IChatChannel channel)
    {
        try
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }

        tcp.Dispose();
    }
}
