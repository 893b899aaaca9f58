using SafeWire.Voting.Protocol;
using SafeWire.Voting.Storage;

namespace SafeWire.Voting;

/// <summary>Limits of a voting server.</summary>
public sealed record VoteServerOptions
{
    /// <summary>How long the server waits for each client message before closing the connection.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Refused ballots allowed in one exchange before the server gives up.</summary>
    public int MaxAttempts { get; init; } = 10;
}

/// <summary>What happened on one connection (for the server's log).</summary>
public sealed record ExchangeReport(string? VoterId, string Outcome, long? Sequence);

/// <summary>
/// The I/O shell of the voting server: runs one voter's exchange (or a board download) over an
/// already-authenticated stream, committing valid ballots to the store before answering "yes".
/// Thread-safe: one instance serves any number of concurrent connections.
/// </summary>
/// <example>
/// Serving an election created with <c>safewire vote init</c> in the home <c>home</c>:
/// <code>
/// var files = ElectionFiles.Open(home.Root, "board-2026");
/// using var electionKey = files.LoadElectionKey();
/// using var receiptKey = files.LoadReceiptKey();
/// await using var store = BallotStore.Open(files.DatabaseTarget);
/// var server = new VoteServer(
///     new ElectionContext(files.Definition, electionKey, files.LoadVoters()),
///     store,
///     (sequence, ballotHash, boardHead) => Receipt.Sign(receiptKey, files.Definition.Name, sequence, ballotHash, boardHead));
/// using var credential = home.LoadOrCreateServerCredential("vote", ["localhost"], [IPAddress.Loopback]);
/// await using var listener = VoteTransport.CreateListener(new IPEndPoint(IPAddress.Loopback, 7300), credential, new AdmissionOptions());
/// listener.Start();
/// await listener.ServeAsync(async (connection, ct) =>
///     Console.WriteLine((await server.HandleConnectionAsync(connection.Stream, ct)).Outcome), cancellationToken);
/// </code>
/// </example>
public sealed class VoteServer
{
    private readonly ElectionContext _election;
    private readonly IBallotStore _store;
    private readonly Func<long, byte[], byte[], byte[]> _receiptSigner;
    private readonly VoteServerOptions _options;

    /// <summary>Creates a server for one election.</summary>
    /// <param name="election">The election, its private key and its voters.</param>
    /// <param name="store">Where counted ballots and the board are kept; a ballot is committed there before the voter hears "yes".</param>
    /// <param name="receiptSigner">Signs a receipt from the board sequence, ballot hash and board head (usually <see cref="Receipt.Sign"/> with the election's receipt key).</param>
    /// <param name="options">Timeouts and attempt limits (null: the defaults).</param>
    public VoteServer(ElectionContext election, IBallotStore store, Func<long, byte[], byte[], byte[]> receiptSigner, VoteServerOptions? options = null)
    {
        _election = election;
        _store = store;
        _receiptSigner = receiptSigner;
        _options = options ?? new VoteServerOptions();
    }

    /// <summary>Serves one connection to its end. Never throws for the peer's misbehaviour; the report says what happened.</summary>
    public Task<ExchangeReport> HandleConnectionAsync(Stream stream, CancellationToken cancellationToken) =>
        HandleConnectionAsync(stream, null, cancellationToken);

    /// <summary>
    /// Serves one connection to its end; <paramref name="admitVoter"/> may refuse a registered voter on this connection
    /// (see <see cref="ServerExchange(ElectionContext, int, Func{string, string?})"/>). Never throws for the peer's misbehaviour.
    /// </summary>
    public async Task<ExchangeReport> HandleConnectionAsync(Stream stream, Func<string, string?>? admitVoter, CancellationToken cancellationToken)
    {
        using var channel = new VoteChannel(stream);
        using var exchange = new ServerExchange(_election, _options.MaxAttempts, admitVoter);
        var outcome = "disconnected";
        long? sequence = null;
        try
        {
            while (exchange.State != ExchangeState.Finished)
            {
                (VoteMessageType Type, ReadOnlyMemory<byte> Payload)? message;
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(_options.IdleTimeout);
                    message = await channel.ReceiveAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    outcome = "timed out";
                    break;
                }
                catch (VoteProtocolException e)
                {
                    await SendAsync(channel, exchange.OnProtocolViolation(e), cancellationToken).ConfigureAwait(false);
                    outcome = "protocol error: " + e.Message;
                    break;
                }

                if (message is null)
                {
                    break;
                }

                var action = exchange.Handle(message.Value.Type, message.Value.Payload.Span);
                if (action.Commit is { } request)
                {
                    // Commit durably first; "yes" goes out only after the transaction is on disk.
                    var committed = await _store.CommitAsync(request, _receiptSigner, cancellationToken).ConfigureAwait(false);
                    sequence = committed.Receipt?.Sequence;
                    outcome = committed.Status.ToString().ToLowerInvariant();
                    action = exchange.OnCommitted(committed);
                }
                else if (action.Send == VoteMessageType.No)
                {
                    outcome = "refused: " + NoMessage.Decode(action.Payload).Refusal;
                }
                else if (action.Send == VoteMessageType.ElectionInfo)
                {
                    outcome = "election keys sent";
                }
                else if (exchange.BoardRequestedFor is not null)
                {
                    await SendBoardAsync(channel, cancellationToken).ConfigureAwait(false);
                    outcome = "board sent";
                }

                await SendAsync(channel, action, cancellationToken).ConfigureAwait(false);
                if (action.Close)
                {
                    break;
                }
            }
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            outcome = "connection lost";
        }

        return new ExchangeReport(exchange.VoterId, outcome, sequence);
    }

    private async Task SendBoardAsync(VoteChannel channel, CancellationToken cancellationToken)
    {
        var election = _election.Definition.Name;
        long after = 0;
        while (true)
        {
            var batch = await _store.ReadBoardAsync(election, after, BoardMessages.BatchSize, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                break;
            }

            await channel.SendAsync(VoteMessageType.BoardEntries, BoardMessages.EncodeEntries(batch), cancellationToken).ConfigureAwait(false);
            after = batch[^1].Sequence;
        }

        await channel.SendAsync(VoteMessageType.BoardEnd, BoardMessages.EncodeEnd(election, after), cancellationToken).ConfigureAwait(false);
    }

    private static async Task SendAsync(VoteChannel channel, ExchangeAction action, CancellationToken cancellationToken)
    {
        if (action.Send is { } type)
        {
            await channel.SendAsync(type, action.Payload, cancellationToken).ConfigureAwait(false);
        }
    }
}
