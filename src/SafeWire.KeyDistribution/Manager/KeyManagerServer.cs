using SafeWire.Framing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Manager;

/// <summary>Settings of a key manager.</summary>
public sealed class KeyManagerOptions
{
    /// <summary>How long issued keys stay valid for starting a transfer.</summary>
    public TimeSpan KeyLifetime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The clock for key expiry and the heartbeat that fails expired transfers.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Receives sessions, pairings, verdicts and refusals, for the console or a log.</summary>
    public required IKeyManagerLog Log { get; init; }

    /// <summary>Optional: an observer per session that sees every frame the key manager handles (the journal).</summary>
    public Func<uint, IFrameObserver?>? Journal { get; init; }

    /// <summary>Most clients connected at once; more are turned away.</summary>
    public int MaxClients { get; init; } = 256;
}

/// <summary>
/// The key manager (from the original design): clients connect over an authenticated SafeWire channel, say <c>send</c> or
/// <c>wait</c>, senders pick a waiting peer with <c>conn</c>, and the key manager introduces the pair, issues
/// per-transfer keys (cbc/cfb) or nothing but the peers' fingerprints (e2e), checks their confirmations,
/// tells the sender where the waiter listens, and compares their block counts.
/// <para>
/// The I/O shell around the session state machine and the transfer registry: decisions are made under one lock;
/// replies go into each session's ordered outbox, drained by that session's writer task.
/// </para>
/// </summary>
/// <example>
/// A key manager for peers holding a certificate from the home CA (<c>MyLog</c> implements <see cref="IKeyManagerLog"/>):
/// <code>
/// var home = SafeWireHome.Resolve(null);
/// using var credential = home.LoadOrCreateServerCredential("km", ["localhost"], [IPAddress.Loopback]);
/// var server = new KeyManagerServer(new KeyManagerOptions { Log = new MyLog(), KeyLifetime = TimeSpan.FromMinutes(2) });
/// await using var listener = SecureKdChannels.CreateKeyManagerListener(
///     new IPEndPoint(IPAddress.Loopback, 7400), credential, home.CreateCaVerifier());
/// listener.Start();
/// await server.ServeAsync(ct => SecureKdChannels.AcceptKeyManagerClientAsync(listener, ct), cancellationToken);
/// </code>
/// </example>
public sealed class KeyManagerServer
{
    private readonly KeyManagerOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, Session> _sessions = [];
    private readonly TransferRegistry _registry;
    private uint _nextSessionId;

    /// <summary>Creates a key manager with <paramref name="options"/>; it serves once <see cref="ServeAsync"/> or <see cref="RunSessionAsync"/> runs.</summary>
    public KeyManagerServer(KeyManagerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _registry = new TransferRegistry(options.KeyLifetime);
    }

    /// <summary>A snapshot of every transfer issued so far.</summary>
    public IReadOnlyList<TransferRecord> Transfers
    {
        get
        {
            lock (_gate)
            {
                return [.. _registry.All];
            }
        }
    }

    /// <summary>
    /// Serves clients until cancelled. <paramref name="acceptNext"/> yields the next client whose mutually
    /// authenticated handshake succeeded (a <c>SecureListener</c> in production: it bounds and times out
    /// handshakes); beyond <see cref="KeyManagerOptions.MaxClients"/> sessions, new clients are turned away.
    /// </summary>
    public async Task ServeAsync(Func<CancellationToken, ValueTask<AuthenticatedChannel>> acceptNext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(acceptNext);
        var running = new List<Task>();
        using var heartbeat = new PeriodicTimer(TimeSpan.FromSeconds(1), _options.Time);
        var ticking = TickAsync(heartbeat, cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                AuthenticatedChannel channel;
                try
                {
                    channel = await acceptNext(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    _options.Log.SessionClosed(0, "?", "accept failed: " + e.Message);
                    continue;
                }

                running.RemoveAll(t => t.IsCompleted);
                if (running.Count >= _options.MaxClients)
                {
                    _options.Log.SessionClosed(0, channel.Remote.Name, $"turned away: {_options.MaxClients} clients already connected");
                    await channel.DisposeAsync().ConfigureAwait(false);
                    continue;
                }

                running.Add(RunSessionAsync(channel, cancellationToken));
            }
        }
        finally
        {
            await Task.WhenAll(running).ConfigureAwait(false);
            await ticking.ConfigureAwait(false);
        }
    }

    /// <summary>Runs one client's session over an already authenticated channel until it ends or leaves.</summary>
    public async Task RunSessionAsync(AuthenticatedChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Session session;
        lock (_gate)
        {
            var id = ++_nextSessionId;
            session = new Session(id, channel, new KdConnection(channel.Stream, ownsStream: false, _options.Journal?.Invoke(id)));
            _sessions.Add(id, session);
        }

        _options.Log.SessionOpened(session.Id, session.Name, session.Fingerprint, channel.RemoteAddress);
        var writer = session.DrainOutboxAsync(cancellationToken);
        var reason = "left";
        try
        {
            while (true)
            {
                var frame = await session.Connection.ReadAsync(cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    Handle(session, frame);
                    if (session.State == KmSessionState.Closed)
                    {
                        reason = "said end";
                        break;
                    }
                }
            }
        }
        catch (KdException e) when (e.Error == KdError.ConnectionClosed)
        {
            reason = "disconnected";
        }
        catch (KdException e)
        {
            reason = "protocol error: " + e.Message;
        }
        catch (IOException e)
        {
            reason = "connection error: " + e.Message;
        }
        catch (OperationCanceledException)
        {
            reason = "key manager stopping";
        }
        finally
        {
            lock (_gate)
            {
                _sessions.Remove(session.Id);
                if (_registry.LiveTransferOf(session.Id) is { } live)
                {
                    Dispatch(live, _registry.Fail(live, $"{session.Name} left the key manager ({reason})", _options.Time.GetUtcNow()));
                }

                session.Outbox.Writer.TryComplete();
            }

            try
            {
                await writer.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A client that stopped reading; its socket is closed below anyway.
            }

            await session.Connection.DisposeAsync().ConfigureAwait(false);
            await channel.DisposeAsync().ConfigureAwait(false);
            _options.Log.SessionClosed(session.Id, session.Name, reason);
        }
    }

    /// <summary>Fails transfers whose keys expired before the file moved (called by the heartbeat, and by tests).</summary>
    internal void ExpireDue()
    {
        lock (_gate)
        {
            foreach (var (record, verdict) in _registry.ExpireDue(_options.Time.GetUtcNow()))
            {
                Dispatch(record, verdict);
            }
        }
    }

    private async Task TickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                ExpireDue();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    // ---- decisions (under _gate) ----

    private void Handle(Session session, KdFrame frame)
    {
        var now = _options.Time.GetUtcNow();
        if (KmSessionMachine.InputFor(frame.Type) is not { } input)
        {
            Refuse(session, RefusalReason.WrongState, $"{frame.Type} is not a message a client sends.");
            return;
        }

        if (input == KmSessionInput.Report)
        {
            var report = ReportMessage.Read(frame);
            if (!KmSessionMachine.TryNext(session.State, input, out var reportNext))
            {
                // A late report (the other peer's failure already ended the transfer and both were told) needs no reply.
                if (!IsLateReport(session, report))
                {
                    Allowed(session, input, out _);
                }

                return;
            }

            HandleReport(session, report, reportNext, now);
            return;
        }

        // A message naming a transfer is checked against the transfer first: a third client presenting
        // someone else's transfer ID is refused as such, whatever state its own session is in.
        if (input is KmSessionInput.FetchKeys or KmSessionInput.Confirm or KmSessionInput.Listening && !IsOwnTransfer(session, frame))
        {
            return;
        }

        if (!Allowed(session, input, out var target))
        {
            return;
        }

        switch (input)
        {
            case KmSessionInput.ClientHello:
                // The name others see is the one the CA certified (the certificate's subject); a requested name is
                // used only for a peer whose credential carries none, so nobody can pass for "bob" by saying so.
                var requested = KmCodec.ReadClientHello(frame).Trim();
                if (string.IsNullOrWhiteSpace(session.Name) && requested.Length is > 0 and <= KmCodec.MaxNameLength && !requested.Any(char.IsControl))
                {
                    session.Name = requested;
                }

                session.State = target;
                Enqueue(session, KdMessageType.Welcome, w => KmCodec.WriteWelcome(w, new WelcomeMessage(session.Id, session.Name, session.Fingerprint,
                    $"Welcome to the SafeWire key manager, {session.Name} (peer {session.Id}). Type send or wait; end to leave.")));
                break;

            case KmSessionInput.Wait:
                frame.Reader().End();
                session.State = target;
                Enqueue(session, KdMessageType.Waiting, _ => { });
                break;

            case KmSessionInput.Send:
                frame.Reader().End();
                session.State = target;
                var waiting = _sessions.Values.Where(s => s.State == KmSessionState.Waiting && s.Id != session.Id)
                    .OrderBy(s => s.Id).Select(s => new PeerEntry(s.Id, s.Name, s.Fingerprint)).ToList();
                Enqueue(session, KdMessageType.PeerList, w => KmCodec.WritePeerList(w, waiting));
                break;

            case KmSessionInput.Conn:
                HandleConn(session, KmCodec.ReadConn(frame), target, now);
                break;

            case KmSessionInput.FetchKeys:
                HandleFetch(session, KmCodec.ReadTransferId(frame), now);
                break;

            case KmSessionInput.Confirm:
                HandleConfirm(session, KmCodec.ReadConfirm(frame), target, now);
                break;

            case KmSessionInput.Listening:
                HandleListening(session, KmCodec.ReadListening(frame), target, now);
                break;

            case KmSessionInput.End:
                frame.Reader().End();
                session.State = target;
                Enqueue(session, KdMessageType.Bye, w => w.String16("Goodbye."));
                break;

            default:
                Refuse(session, RefusalReason.WrongState, $"{frame.Type} is not handled here.");
                break;
        }
    }

    private bool IsOwnTransfer(Session session, KdFrame frame)
    {
        var reader = frame.Reader();
        var id = TransferId.Read(ref reader);
        var access = _registry.Access(id, session.Id, session.Fingerprint, _options.Time.GetUtcNow(), allowAfterExpiry: true);
        if (access.Refusal is RefusalReason.UnknownTransfer or RefusalReason.NotYourTransfer)
        {
            Refuse(session, access.Refusal.Value, access.Message);
            return false;
        }

        return true;
    }

    private bool IsLateReport(Session session, ReportMessage report)
    {
        var known = _registry.All.FirstOrDefault(t => t.Id == report.TransferId);
        return known is not null && TransferMachine.IsFinal(known.State) && known.RoleOf(session.Id, session.Fingerprint) is not null;
    }

    private bool Allowed(Session session, KmSessionInput input, out KmSessionState next)
    {
        if (KmSessionMachine.TryNext(session.State, input, out next))
        {
            return true;
        }

        var expected = string.Join(", ", KmSessionMachine.Expected(session.State).Where(i => KdInputIsClientMessage(i)));
        Refuse(session, RefusalReason.WrongState, $"Expected {(expected.Length == 0 ? "nothing from you now" : expected)}, got {input}.");
        return false;
    }

    private static bool KdInputIsClientMessage(KmSessionInput input) => input is not (KmSessionInput.ChosenBySender or KmSessionInput.PeerListening or KmSessionInput.Verdict);

    private void HandleConn(Session sender, (string Peer, TransferMode Mode) request, KmSessionState next, DateTimeOffset now)
    {
        var selector = request.Peer.Trim();
        var candidates = _sessions.Values.Where(s => s.State == KmSessionState.Waiting || s.Id == sender.Id)
            .Where(s => uint.TryParse(selector, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? s.Id == id : string.Equals(s.Name, selector, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (candidates.Count == 1 && candidates[0].Id == sender.Id)
        {
            Refuse(sender, RefusalReason.SelfPairing, "You cannot send to yourself; pick another waiting peer.");
            return;
        }

        candidates.RemoveAll(s => s.Id == sender.Id);
        if (candidates.Count != 1)
        {
            Refuse(sender, RefusalReason.NoSuchPeer, candidates.Count == 0
                ? $"No waiting peer is called {selector}; type send to see who is waiting."
                : $"Several waiting peers are called {selector}; use the peer id.");
            return;
        }

        var receiver = candidates[0];
        if (!KmSessionMachine.TryNext(receiver.State, KmSessionInput.ChosenBySender, out var receiverNext))
        {
            Refuse(sender, RefusalReason.NoSuchPeer, $"{receiver.Name} is no longer waiting.");
            return;
        }

        var record = _registry.Issue(request.Mode, sender.Party, receiver.Party, now);
        sender.State = next;
        receiver.State = receiverNext;
        Enqueue(sender, KdMessageType.Paired, w => new PairedMessage(record.Id, record.Mode, TransferRole.Sender, receiver.Id, receiver.Name, receiver.Fingerprint, record.ExpiresAt).Write(w));
        Enqueue(receiver, KdMessageType.Paired, w => new PairedMessage(record.Id, record.Mode, TransferRole.Receiver, sender.Id, sender.Name, sender.Fingerprint, record.ExpiresAt).Write(w));
        _options.Log.Pairing(record);
    }

    private void HandleFetch(Session session, TransferId id, DateTimeOffset now)
    {
        var access = _registry.FetchKeys(id, session.Id, session.Fingerprint, now);
        if (access.Refusal is { } refusal)
        {
            Refuse(session, refusal, access.Message);
            return;
        }

        Enqueue(session, KdMessageType.KeyGrant, w => access.Record!.Keys!.Write(w));
    }

    private void HandleConfirm(Session session, (TransferId Id, byte[] Mac) confirm, KmSessionState next, DateTimeOffset now)
    {
        var (access, both) = _registry.Confirm(confirm.Id, session.Id, session.Fingerprint, confirm.Mac, now);
        if (access.Refusal is { } refusal)
        {
            Refuse(session, refusal, access.Message);
            if (refusal == RefusalReason.BadConfirmation && _registry.LiveTransferOf(session.Id) is { } live && live.Id == confirm.Id)
            {
                Dispatch(live, _registry.Fail(live, access.Message.TrimEnd('.'), now));
            }

            return;
        }

        session.State = next;
        if (both)
        {
            var receiver = _sessions.GetValueOrDefault(access.Record!.Receiver.SessionId);
            if (receiver is not null)
            {
                Enqueue(receiver, KdMessageType.Listen, w => KmCodec.WriteTransferId(w, access.Record.Id));
            }
        }
    }

    private void HandleListening(Session receiver, (TransferId Id, string Host, ushort Port) listening, KmSessionState next, DateTimeOffset now)
    {
        var access = _registry.ListenerReady(listening.Id, receiver.Id, receiver.Fingerprint, now);
        if (access.Refusal is { } refusal)
        {
            Refuse(receiver, refusal, access.Message);
            return;
        }

        receiver.State = next;
        var record = access.Record!;
        var host = listening.Host.Length > 0 ? listening.Host : (receiver.Channel.RemoteAddress is { } address ? Peer.PeerRunner.Unmapped(address).ToString() : "127.0.0.1");
        if (_sessions.GetValueOrDefault(record.Sender.SessionId) is { } sender && KmSessionMachine.TryNext(sender.State, KmSessionInput.PeerListening, out var senderNext))
        {
            sender.State = senderNext;
            Enqueue(sender, KdMessageType.ConnectTo, w => KmCodec.WriteConnectTo(w, new ConnectToMessage(record.Id, host, listening.Port)));
        }
    }

    private void HandleReport(Session session, ReportMessage report, KmSessionState next, DateTimeOffset now)
    {
        var (access, verdict) = _registry.Report(report, session.Id, session.Fingerprint, now);
        if (access.Refusal is { } refusal)
        {
            Refuse(session, refusal, access.Message);
            return;
        }

        if (access.Message == "late")
        {
            return;
        }

        session.State = next;
        if (verdict is not null)
        {
            Dispatch(access.Record!, verdict);
        }
    }

    /// <summary>Sends a verdict to both peers still connected, returns them to the menu and logs it.</summary>
    private void Dispatch(TransferRecord record, VerdictMessage verdict)
    {
        foreach (var party in new[] { record.Sender, record.Receiver })
        {
            if (_sessions.GetValueOrDefault(party.SessionId) is { } session && KmSessionMachine.TryNext(session.State, KmSessionInput.Verdict, out var next))
            {
                session.State = next;
                Enqueue(session, KdMessageType.Verdict, verdict.Write);
            }
        }

        _options.Log.Verdict(record, verdict);
    }

    private void Refuse(Session session, RefusalReason reason, string message)
    {
        Enqueue(session, KdMessageType.Refused, w => KmCodec.WriteRefused(w, reason, message));
        _options.Log.Refusal(session.Id, session.Name, reason, message);
    }

    private static void Enqueue(Session session, KdMessageType type, Action<FieldWriter> build)
    {
        var writer = new FieldWriter();
        build(writer);
        session.Outbox.Writer.TryWrite(new Outgoing(type, writer.ToArray()));
        writer.Clear();
    }

    private sealed record Outgoing(KdMessageType Type, byte[] Body);

    private sealed class Session(uint id, AuthenticatedChannel channel, KdConnection connection)
    {
        public uint Id { get; } = id;

        public AuthenticatedChannel Channel { get; } = channel;

        public KdConnection Connection { get; } = connection;

        public string Name { get; set; } = channel.Remote.Name;

        public string Fingerprint { get; } = channel.Remote.Fingerprint;

        public KmSessionState State { get; set; } = KmSessionState.AwaitingHello;

        public TransferParty Party => new(Id, Name, Fingerprint);

        public Channel<Outgoing> Outbox { get; } = System.Threading.Channels.Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });

        public async Task DrainOutboxAsync(CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var message in Outbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    try
                    {
                        await Connection.SendAsync(message.Type, w => w.Fixed(message.Body), cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        // Bodies may hold keys (KeyGrant).
                        CryptographicOperations.ZeroMemory(message.Body);
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The reader loop sees the broken connection and cleans up.
                while (Outbox.Reader.TryRead(out var left))
                {
                    CryptographicOperations.ZeroMemory(left.Body);
                }
            }
        }
    }
}
