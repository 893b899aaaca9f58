using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Peer;

/// <summary>
/// The client's half of the key-manager protocol, over an authenticated channel. Each call sends one
/// request and reads its answer; a Refused answer becomes <see cref="KdException"/> (<see cref="KdError.Refused"/>),
/// and a failure verdict that arrives early ends the transfer (<see cref="KdError.PeerFailed"/>, kept in
/// <see cref="LastVerdict"/>).
/// </summary>
public sealed class KeyManagerClient : IAsyncDisposable
{
    private readonly AuthenticatedChannel _channel;
    private readonly KdConnection _connection;

    /// <summary>Speaks the key-manager protocol over <paramref name="channel"/> (from <see cref="IKdChannels.ConnectKeyManagerAsync"/>); <paramref name="observer"/> sees every frame.</summary>
    public KeyManagerClient(AuthenticatedChannel channel, IFrameObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
        _connection = new KdConnection(channel.Stream, ownsStream: false, observer);
    }

    /// <summary>The authenticated channel to the key manager (disposed with this client).</summary>
    public AuthenticatedChannel Channel => _channel;

    /// <summary>This client as the key manager welcomed it (set by <see cref="HelloAsync"/>).</summary>
    public WelcomeMessage? Welcome { get; private set; }

    /// <summary>The last verdict received, including one that cut a transfer short.</summary>
    public VerdictMessage? LastVerdict { get; private set; }

    /// <summary>Introduces this peer under <paramref name="name"/>; the first call on a new client. Returns the welcome, also kept in <see cref="Welcome"/>.</summary>
    public async Task<WelcomeMessage> HelloAsync(string name, CancellationToken cancellationToken)
    {
        await _connection.SendAsync(KdMessageType.ClientHello, w => KmCodec.WriteClientHello(w, name), cancellationToken).ConfigureAwait(false);
        Welcome = KmCodec.ReadWelcome(await ExpectAsync(KdMessageType.Welcome, cancellationToken).ConfigureAwait(false));
        return Welcome;
    }

    /// <summary><c>send</c>: the peers waiting right now (possibly none).</summary>
    public async Task<IReadOnlyList<PeerEntry>> ListWaitingAsync(CancellationToken cancellationToken)
    {
        await _connection.SendAsync(KdMessageType.Send, cancellationToken).ConfigureAwait(false);
        return KmCodec.ReadPeerList(await ExpectAsync(KdMessageType.PeerList, cancellationToken).ConfigureAwait(false));
    }

    /// <summary><c>wait</c>: be offered to senders.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _connection.SendAsync(KdMessageType.Wait, cancellationToken).ConfigureAwait(false);
        await ExpectAsync(KdMessageType.Waiting, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Blocks until a sender picks this waiting client.</summary>
    public async Task<PairedMessage> AwaitPairingAsync(CancellationToken cancellationToken) =>
        PairedMessage.Read(await ExpectAsync(KdMessageType.Paired, cancellationToken).ConfigureAwait(false));

    /// <summary><c>conn &lt;peer&gt; &lt;mode&gt;</c>: pair with a waiting peer (by id or name).</summary>
    public async Task<PairedMessage> ConnectAsync(string peer, TransferMode mode, CancellationToken cancellationToken)
    {
        await _connection.SendAsync(KdMessageType.Conn, w => KmCodec.WriteConn(w, peer, mode), cancellationToken).ConfigureAwait(false);
        return PairedMessage.Read(await ExpectAsync(KdMessageType.Paired, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Fetches this peer's copy of the transfer keys (once per peer; cbc/cfb only).</summary>
    public async Task<TransferKeys> FetchKeysAsync(TransferId id, CancellationToken cancellationToken)
    {
        await _connection.SendAsync(KdMessageType.FetchKeys, w => KmCodec.WriteTransferId(w, id), cancellationToken).ConfigureAwait(false);
        return TransferKeys.Read(await ExpectAsync(KdMessageType.KeyGrant, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Sends the key confirmation (empty for e2e). The key manager answers only with Listen, ConnectTo or a verdict.</summary>
    public async Task ConfirmAsync(TransferId id, ReadOnlyMemory<byte> mac, CancellationToken cancellationToken) =>
        await _connection.SendAsync(KdMessageType.Confirm, w => KmCodec.WriteConfirm(w, id, mac.Span), cancellationToken).ConfigureAwait(false);

    /// <summary>Waiter: waits for the key manager to say both confirmed and the socket should open.</summary>
    public async Task ExpectListenAsync(TransferId id, CancellationToken cancellationToken)
    {
        var listen = KmCodec.ReadTransferId(await ExpectAsync(KdMessageType.Listen, cancellationToken).ConfigureAwait(false));
        if (listen != id)
        {
            throw new KdException(KdError.UnexpectedMessage, $"Listen for transfer {listen.Abbreviated}, expected {id.Abbreviated}.");
        }
    }

    /// <summary>Waiter: tells the key manager the host and port the sender should dial for transfer <paramref name="id"/>.</summary>
    public async Task AnnounceListeningAsync(TransferId id, string advertisedHost, ushort port, CancellationToken cancellationToken) =>
        await _connection.SendAsync(KdMessageType.Listening, w => KmCodec.WriteListening(w, id, advertisedHost, port), cancellationToken).ConfigureAwait(false);

    /// <summary>Sender: waits for where the waiter listens.</summary>
    public async Task<ConnectToMessage> ExpectConnectToAsync(TransferId id, CancellationToken cancellationToken)
    {
        var connectTo = KmCodec.ReadConnectTo(await ExpectAsync(KdMessageType.ConnectTo, cancellationToken).ConfigureAwait(false));
        return connectTo.TransferId == id ? connectTo : throw new KdException(KdError.UnexpectedMessage, $"ConnectTo for transfer {connectTo.TransferId.Abbreviated}, expected {id.Abbreviated}.");
    }

    /// <summary>Reports the outcome and block count; returns the key manager's verdict.</summary>
    public async Task<VerdictMessage> ReportAsync(ReportMessage report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (LastVerdict is { } early && early.TransferId == report.TransferId)
        {
            // The transfer already ended (the other peer failed); the key manager drops a late report anyway.
            return early;
        }

        await _connection.SendAsync(KdMessageType.Report, report.Write, cancellationToken).ConfigureAwait(false);
        return await ExpectVerdictAsync(report.TransferId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the report without reading: the answer is read by a pending <see cref="ExpectVerdictAsync"/>.</summary>
    public async Task SendReportAsync(ReportMessage report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await _connection.SendAsync(KdMessageType.Report, report.Write, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Leaves the key manager cleanly (<c>end</c>) and waits for its goodbye.</summary>
    public async Task EndAsync(CancellationToken cancellationToken)
    {
        await _connection.SendAsync(KdMessageType.End, cancellationToken).ConfigureAwait(false);
        await ExpectAsync(KdMessageType.Bye, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connection to the key manager.</summary>
    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Reads until the verdict on <paramref name="id"/> (the waiter keeps one pending while it receives, to hear of a sender that left).</summary>
    public async Task<VerdictMessage> ExpectVerdictAsync(TransferId id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await _connection.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (frame.Type == KdMessageType.Verdict)
            {
                var verdict = VerdictMessage.Read(frame);
                LastVerdict = verdict;
                if (verdict.TransferId == id)
                {
                    return verdict;
                }

                continue;
            }

            throw Fail(frame, nameof(KdMessageType.Verdict));
        }
    }

    private async Task<KdFrame> ExpectAsync(KdMessageType expected, CancellationToken cancellationToken)
    {
        var frame = await _connection.ReadAsync(cancellationToken).ConfigureAwait(false);
        return frame.Type == expected ? frame : throw Fail(frame, expected.ToString());
    }

    private KdException Fail(KdFrame frame, string expected)
    {
        switch (frame.Type)
        {
            case KdMessageType.Refused:
                var (reason, message) = KmCodec.ReadRefused(frame);
                return new KdException(KdError.Refused, $"The key manager refused ({reason}): {message}");
            case KdMessageType.Verdict:
                var verdict = VerdictMessage.Read(frame);
                LastVerdict = verdict;
                return new KdException(KdError.PeerFailed, verdict.Text);
            default:
                return new KdException(KdError.UnexpectedMessage, $"Expected {expected} from the key manager, got {frame.Type}.");
        }
    }
}
