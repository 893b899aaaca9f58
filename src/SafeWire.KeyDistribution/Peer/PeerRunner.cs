using System.Net;
using System.Net.Sockets;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Peer;

/// <summary>Where the waiter opens its socket and what it tells the key manager.</summary>
/// <param name="BindAddress">Address to listen on; null: the address this peer uses to reach the key manager.</param>
/// <param name="Port">Port to listen on; 0 picks a free one.</param>
/// <param name="AdvertisedHost">Host the sender should dial (NAT, port forward, relay); empty: the address the key manager sees.</param>
/// <param name="AdvertisedPort">Port the sender should dial; 0: the port actually bound.</param>
public sealed record ListenSettings(IPAddress? BindAddress = null, int Port = 0, string AdvertisedHost = "", int AdvertisedPort = 0);

/// <summary>
/// Drives one paired transfer from a peer's side, from Paired to the verdict: fetch keys (cbc/cfb), confirm,
/// open the socket or connect to it, move the files, report the block count. Every outcome, including a
/// failure, is reported to the key manager so it can judge and log the transfer.
/// </summary>
/// <example>
/// A peer that sends one file to a waiting peer named bob, end to end (<c>ui</c> implements <see cref="IPeerUi"/>):
/// <code>
/// var home = SafeWireHome.Resolve(null);
/// using var credential = home.LoadOrCreateClientCredential("alice");
/// var channels = new SecureKdChannels(credential, home.CreateCaVerifier());
/// await using var km = new KeyManagerClient(await channels.ConnectKeyManagerAsync("km.example", 7400, ct));
/// await km.HelloAsync("alice", ct);
/// var paired = await km.ConnectAsync("bob", TransferMode.E2e, ct);
/// var runner = new PeerRunner(km, channels, ui, TimeProvider.System);
/// var (verdict, _) = await runner.RunSenderAsync(paired, _ => ValueTask.FromResult&lt;IReadOnlyList&lt;string&gt;&gt;(["report.pdf"]), ct);
/// Console.WriteLine(verdict.Text);
/// await km.EndAsync(ct);
/// </code>
/// The waiter calls <see cref="KeyManagerClient.WaitAsync"/>, <see cref="KeyManagerClient.AwaitPairingAsync"/> and
/// <see cref="RunReceiverAsync"/> instead.
/// </example>
public sealed class PeerRunner
{
    private readonly KeyManagerClient _km;
    private readonly IKdChannels _channels;
    private readonly IPeerUi _ui;
    private readonly TimeProvider _time;

    /// <summary>Creates a runner for transfers paired through <paramref name="km"/>.</summary>
    /// <param name="km">The peer's session with the key manager, already welcomed.</param>
    /// <param name="channels">Opens the e2e handshakes with the other peer.</param>
    /// <param name="ui">Shows progress and decides about offered files.</param>
    /// <param name="time">The clock for timeouts.</param>
    public PeerRunner(KeyManagerClient km, IKdChannels channels, IPeerUi ui, TimeProvider time)
    {
        _km = km;
        _channels = channels;
        _ui = ui;
        _time = time;
    }

    /// <summary>How long the waiter waits for the sender's connection, and the sender for the file choice.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The sender's side. <paramref name="chooseFiles"/> asks for the file names once the waiter is ready.</summary>
    public async Task<(VerdictMessage Verdict, TransferOutcome? Outcome)> RunSenderAsync(PairedMessage paired, Func<CancellationToken, ValueTask<IReadOnlyList<string>>> chooseFiles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paired);
        ArgumentNullException.ThrowIfNull(chooseFiles);
        TransferContext? context = null;
        try
        {
            context = await PrepareAsync(paired, cancellationToken).ConfigureAwait(false);
            var target = await _km.ExpectConnectToAsync(paired.TransferId, cancellationToken).ConfigureAwait(false);
            _ui.Info($"{paired.PeerName} is listening on {target.Host}:{target.Port}.");
            var files = await chooseFiles(cancellationToken).ConfigureAwait(false);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            AuthenticatedChannel? secured = null;
            try
            {
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    connect.CancelAfter(ConnectTimeout);
                    await socket.ConnectAsync(target.Host, target.Port, connect.Token).ConfigureAwait(false);
                    if (paired.Mode == TransferMode.E2e)
                    {
                        secured = await _channels.SecurePeerAsClientAsync(socket, paired.PeerFingerprint, connect.Token).ConfigureAwait(false);
                        ReportSessionCheck(secured);
                    }
                }

                var stream = secured?.Stream ?? new NetworkStream(socket, ownsSocket: false);
                await using var connection = new KdConnection(stream, ownsStream: secured is null);
                var outcome = await PeerTransfer.SendAsync(connection, context, files, _ui, _time, cancellationToken).ConfigureAwait(false);
                var verdict = await _km.ReportAsync(new ReportMessage(paired.TransferId, true, outcome.Blocks, outcome.Bytes, outcome.FilesTransferred, ""), cancellationToken).ConfigureAwait(false);
                return (verdict, outcome);
            }
            finally
            {
                if (secured is not null)
                {
                    await secured.DisposeAsync().ConfigureAwait(false);
                }

                socket.Dispose();
            }
        }
        catch (Exception e) when (IsTransferFailure(e))
        {
            return (await ReportFailureAsync(paired.TransferId, e, cancellationToken).ConfigureAwait(false), null);
        }
        finally
        {
            context?.Keys?.Dispose();
        }
    }

    /// <summary>The waiter's side: open the socket, take the sender's connection, receive the files.</summary>
    public async Task<(VerdictMessage Verdict, TransferOutcome? Outcome)> RunReceiverAsync(PairedMessage paired, ListenSettings listen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paired);
        ArgumentNullException.ThrowIfNull(listen);
        TransferContext? context = null;
        try
        {
            context = await PrepareAsync(paired, cancellationToken).ConfigureAwait(false);
            await _km.ExpectListenAsync(paired.TransferId, cancellationToken).ConfigureAwait(false);
            var bind = Unmapped(listen.BindAddress ?? _km.Channel.LocalAddress ?? IPAddress.Loopback);
            var listener = new TcpListener(bind, listen.Port);
            listener.Start(1);
            try
            {
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                await _km.AnnounceListeningAsync(paired.TransferId, listen.AdvertisedHost, (ushort)(listen.AdvertisedPort != 0 ? listen.AdvertisedPort : port), cancellationToken).ConfigureAwait(false);
                _ui.Info($"Listening on {bind}:{port} for {paired.PeerName}.");

                // While the file moves, keep one read pending on the key manager: a sender that leaves (or fails)
                // before or during the transfer ends it at once instead of after the connect timeout.
                using var receiving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var verdictWatch = _km.ExpectVerdictAsync(paired.TransferId, cancellationToken);
                var receive = AcceptAndReceiveAsync(listener, context, receiving.Token);
                if (await Task.WhenAny(receive, verdictWatch).ConfigureAwait(false) == verdictWatch)
                {
                    await receiving.CancelAsync().ConfigureAwait(false);
                    try
                    {
                        await receive.ConfigureAwait(false);
                    }
                    catch (Exception e) when (IsTransferFailure(e))
                    {
                        // Expected: cancelled or broken because the transfer already ended.
                    }

                    var early = await verdictWatch.ConfigureAwait(false);
                    _ui.Warn(early.Text);
                    return (early, null);
                }

                TransferOutcome? outcome = null;
                string failure = "";
                try
                {
                    outcome = await receive.ConfigureAwait(false);
                }
                catch (Exception e) when (IsTransferFailure(e))
                {
                    failure = e is OperationCanceledException ? "cancelled" : e.Message;
                    _ui.Warn("Transfer failed: " + failure);
                }

                var report = outcome is null
                    ? new ReportMessage(paired.TransferId, false, 0, 0, 0, failure)
                    : new ReportMessage(paired.TransferId, true, outcome.Blocks, outcome.Bytes, outcome.FilesTransferred, "");
                try
                {
                    await _km.SendReportAsync(report, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The pending read below sees the broken connection too.
                }

                return (await verdictWatch.ConfigureAwait(false), outcome);
            }
            finally
            {
                listener.Stop();
            }
        }
        catch (Exception e) when (IsTransferFailure(e))
        {
            return (await ReportFailureAsync(paired.TransferId, e, cancellationToken).ConfigureAwait(false), null);
        }
        finally
        {
            context?.Keys?.Dispose();
        }
    }

    /// <summary>A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; listen and advertise the plain IPv4 form.</summary>
    internal static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static bool IsTransferFailure(Exception e) => e is IOException or SocketException or OperationCanceledException or UnauthorizedAccessException;

    /// <summary>Accepts connections until one presents the right transfer and confirmation (a third client is refused, not fatal).</summary>
    private async Task<TransferOutcome> AcceptAndReceiveAsync(TcpListener listener, TransferContext context, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ConnectTimeout);
        for (var attempt = 0; attempt < 16; attempt++)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new KdException(KdError.ConnectionClosed, $"{context.PeerName} did not connect within {ConnectTimeout.TotalSeconds:0} s.");
            }

            socket.NoDelay = true;
            AuthenticatedChannel? secured = null;
            try
            {
                if (context.Mode == TransferMode.E2e)
                {
                    try
                    {
                        secured = await _channels.SecurePeerAsServerAsync(socket, context.PeerFingerprint, deadline.Token).ConfigureAwait(false);
                        ReportSessionCheck(secured);
                    }
                    catch (IOException e)
                    {
                        _ui.Warn($"Refused a connection from {socket.RemoteEndPoint}: {e.Message}");
                        continue;
                    }
                }

                var stream = secured?.Stream ?? new NetworkStream(socket, ownsSocket: false);
                await using var connection = new KdConnection(stream, ownsStream: secured is null);
                try
                {
                    await PeerTransfer.AcceptHelloAsync(connection, context, _time, deadline.Token).ConfigureAwait(false);
                }
                catch (KdException e) when (e.Error is KdError.Refused or KdError.KeyConfirmationFailed or KdError.Malformed or KdError.UnexpectedMessage or KdError.ConnectionClosed)
                {
                    _ui.Warn($"Refused a connection from {socket.RemoteEndPoint}: {e.Message}");
                    continue;
                }

                return await PeerTransfer.ReceiveFilesAsync(connection, context, _ui, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (secured is not null)
                {
                    await secured.DisposeAsync().ConfigureAwait(false);
                }

                socket.Dispose();
            }
        }

        throw new KdException(KdError.Refused, "Too many refused connections; giving up on this transfer.");
    }

    /// <summary>Fetches and checks the keys (cbc/cfb) and sends the confirmation.</summary>
    private async Task<TransferContext> PrepareAsync(PairedMessage paired, CancellationToken cancellationToken)
    {
        TransferKeys? keys = null;
        if (paired.Mode != TransferMode.E2e)
        {
            keys = await _km.FetchKeysAsync(paired.TransferId, cancellationToken).ConfigureAwait(false);
            var me = _km.Welcome?.Fingerprint;
            var (expectedSender, expectedReceiver) = paired.Role == TransferRole.Sender ? (me, paired.PeerFingerprint) : (paired.PeerFingerprint, me);
            if (keys.TransferId != paired.TransferId || keys.Mode != paired.Mode || keys.SenderFingerprint != expectedSender || keys.ReceiverFingerprint != expectedReceiver)
            {
                keys.Dispose();
                throw new KdException(KdError.Refused, "The key manager issued keys for a different transfer or pair.");
            }
        }

        var context = new TransferContext(paired.TransferId, paired.Mode, paired.Role, paired.PeerName, paired.PeerFingerprint, paired.ExpiresAt, keys);
        var mac = new byte[keys is null ? 0 : TransferKeys.MacSize];
        keys?.ConfirmationMac(paired.Role, mac);
        await _km.ConfirmAsync(paired.TransferId, mac, cancellationToken).ConfigureAwait(false);
        return context;
    }

    private void ReportSessionCheck(AuthenticatedChannel secured)
    {
        if (secured.SessionCheck is { } check)
        {
            _ui.Info($"End-to-end session with {secured.Remote.Name} ({secured.Remote.Fingerprint}); session check {check}.");
        }
    }

    private async Task<VerdictMessage> ReportFailureAsync(TransferId id, Exception failure, CancellationToken cancellationToken)
    {
        var reason = failure is OperationCanceledException ? "cancelled" : failure.Message;
        if (_km.LastVerdict is { } early && early.TransferId == id)
        {
            return early;
        }

        _ui.Warn("Transfer failed: " + reason);
        try
        {
            return await _km.ReportAsync(new ReportMessage(id, false, 0, 0, 0, reason), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            return new VerdictMessage(id, VerdictKind.Failed, 0, 0, "Transfer failed: " + reason + " (and the key manager could not be told: " + e.Message + ").");
        }
    }
}
