using System.Security.Cryptography;
using SafeWire.Voting.Storage;

namespace SafeWire.Voting.Protocol;

/// <summary>What the server knows about an election while serving it.</summary>
/// <param name="Definition">The election's parameters.</param>
/// <param name="ElectionKey">The RSA-3072 private key that unwraps session keys.</param>
/// <param name="Voters">The registered voters and their public keys.</param>
public sealed record ElectionContext(ElectionDefinition Definition, RSA ElectionKey, VoterRegistry Voters)
{
    /// <summary>SPKI (DER) of the receipt-signing key, given to voters who ask for the election's public keys (null: not offered).</summary>
    public byte[]? ReceiptPublicKey { get; init; }
}

/// <summary>What the I/O shell must do after a step: send a message, and/or commit, and/or close.</summary>
internal readonly record struct ExchangeAction(VoteMessageType? Send, byte[]? Payload, CommitRequest? Commit, bool Close)
{
    internal static ExchangeAction Reply(VoteMessageType type, byte[] payload, bool close = false) => new(type, payload, null, close);
}

/// <summary>
/// The server's side of one voting exchange, without I/O: feed it each received message
/// (<see cref="Handle"/>) and each commit result (<see cref="OnCommitted"/>), and do what the returned
/// <see cref="ExchangeAction"/> says. Transitions follow <see cref="ExchangeStateTable"/>. Dispose erases
/// every temporary of the exchange (session key, nonce, exchange ID), as the seed asks after "ok".
/// </summary>
internal sealed class ServerExchange : IDisposable
{
    private readonly ElectionContext _election;
    private readonly int _maxAttempts;
    private readonly byte[] _exchangeId = new byte[BallotCrypto.ExchangeIdSize];
    private readonly byte[] _nonce = new byte[BallotCrypto.NonceSize];
    private readonly byte[] _sessionKey = new byte[BallotCrypto.SessionKeySize];
    private readonly Func<string, string?>? _admitVoter;
    private ECDsa? _voterKey;
    private int _attempts;

    /// <summary>One exchange for <paramref name="election"/>.</summary>
    /// <param name="election">The election served.</param>
    /// <param name="maxAttempts">Refused ballots allowed before the exchange ends.</param>
    /// <param name="admitVoter">
    /// Checked for a registered voter ID before the challenge: null admits, a text refuses the voter on this
    /// connection with that reason (e.g. a voter registered by a join who did not present a valid certificate).
    /// </param>
    public ServerExchange(ElectionContext election, int maxAttempts = 10, Func<string, string?>? admitVoter = null)
    {
        _election = election;
        _maxAttempts = maxAttempts;
        _admitVoter = admitVoter;
    }

    public ExchangeState State { get; private set; } = ExchangeState.AwaitingVoterId;

    /// <summary>The voter being served (set once the ID is registered).</summary>
    public string? VoterId { get; private set; }

    /// <summary>The board request's election, when this connection asked for the board instead of voting.</summary>
    public string? BoardRequestedFor { get; private set; }

    /// <summary>Handles one message from the client.</summary>
    public ExchangeAction Handle(VoteMessageType type, ReadOnlySpan<byte> payload)
    {
        try
        {
            var expected = ExchangeStateTable.Expected(State);
            if (!expected.Contains(type))
            {
                throw new VoteProtocolException(VoteRefusal.Malformed,
                    $"expected {string.Join(" or ", expected)}, got {(Enum.IsDefined(type) ? type.ToString() : "message type " + (byte)type)}");
            }

            return type switch
            {
                VoteMessageType.VoterId => OnVoterId(VoterIdMessage.Decode(payload)),
                VoteMessageType.BoardRequest => OnBoardRequest(BoardRequestMessage.Decode(payload)),
                VoteMessageType.ElectionInfoRequest => OnElectionInfoRequest(payload),
                VoteMessageType.SealedBallot => OnBallot(SealedBallot.Decode(payload)),
                _ => OnOk(payload),
            };
        }
        catch (VoteProtocolException e)
        {
            return OnProtocolViolation(e);
        }
    }

    /// <summary>The peer broke the protocol (or the transport failed mid-message): "no" and close.</summary>
    public ExchangeAction OnProtocolViolation(VoteProtocolException e)
    {
        Move(ExchangeEvent.ProtocolViolation);
        return Refuse(e.Refusal, e.Message);
    }

    /// <summary>Step 5: the store's answer for the ballot this exchange asked to commit.</summary>
    public ExchangeAction OnCommitted(CommitOutcome outcome)
    {
        switch (outcome.Status)
        {
            case CommitStatus.Counted or CommitStatus.Replaced or CommitStatus.Duplicate:
                Move(ExchangeEvent.Committed);
                return ExchangeAction.Reply(VoteMessageType.Yes, BallotCrypto.SealYes(_sessionKey, _exchangeId, outcome.Receipt!).Encode());
            case CommitStatus.AlreadyVoted:
                Move(ExchangeEvent.CommitRefused);
                return Refuse(VoteRefusal.AlreadyVoted, $"voter {VoterId} has already voted in election {_election.Definition.Name} and it does not allow revoting");
            default:
                Move(ExchangeEvent.CommitRefused);
                return Refuse(VoteRefusal.ElectionClosed, $"election {_election.Definition.Name} is closed");
        }
    }

    public void Dispose() => Erase();

    /// <summary>True once the exchange's session key, nonce, exchange ID and voter key are gone (tests check it after "ok").</summary>
    internal bool SecretsErased =>
        !_sessionKey.AsSpan().ContainsAnyExcept((byte)0) && !_nonce.AsSpan().ContainsAnyExcept((byte)0)
        && !_exchangeId.AsSpan().ContainsAnyExcept((byte)0) && _voterKey is null;

    private ExchangeAction OnVoterId(VoterIdMessage message)
    {
        var key = Identifiers.IsValid(message.VoterId) ? _election.Voters.PublicKeyOf(message.VoterId) : null;
        if (key is null)
        {
            Move(ExchangeEvent.VoterUnknown);
            return Refuse(VoteRefusal.NotRegistered, $"voter {message.VoterId} is not on the voter list of election {_election.Definition.Name}");
        }

        if (_admitVoter?.Invoke(message.VoterId) is { } refusal)
        {
            Move(ExchangeEvent.VoterUnknown);
            return Refuse(VoteRefusal.NotRegistered, refusal);
        }

        _voterKey = ECDsa.Create();
        _voterKey.ImportSubjectPublicKeyInfo(key, out _);
        VoterId = message.VoterId;
        RandomNumberGenerator.Fill(_exchangeId);
        RandomNumberGenerator.Fill(_nonce);
        Move(ExchangeEvent.VoterRegistered);
        var definition = _election.Definition;
        return ExchangeAction.Reply(VoteMessageType.Challenge,
            new ChallengeMessage(_exchangeId, _nonce, definition.Name, definition.Candidates, definition.MaxScore).Encode());
    }

    private ExchangeAction OnBoardRequest(BoardRequestMessage message)
    {
        if (message.Election.Length != 0 && message.Election != _election.Definition.Name)
        {
            Move(ExchangeEvent.ProtocolViolation);
            return Refuse(VoteRefusal.UnknownElection, $"this server serves election {_election.Definition.Name}, not {message.Election}");
        }

        BoardRequestedFor = _election.Definition.Name;
        Move(ExchangeEvent.BoardRequested);
        return default;
    }

    private ExchangeAction OnElectionInfoRequest(ReadOnlySpan<byte> payload)
    {
        if (!payload.IsEmpty)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, "the election information request carries no data");
        }

        var definition = _election.Definition;
        if (_election.ReceiptPublicKey is not { } receiptKey)
        {
            Move(ExchangeEvent.ProtocolViolation);
            return Refuse(VoteRefusal.UnknownElection, $"this server does not hand out the public keys of election {definition.Name}; ask its authority for a credential file");
        }

        Move(ExchangeEvent.ElectionInfoRequested);
        return ExchangeAction.Reply(VoteMessageType.ElectionInfo,
            new ElectionInfoMessage(definition.Name, definition.Candidates, definition.MaxScore, _election.ElectionKey.ExportSubjectPublicKeyInfo(), receiptKey).Encode(), close: true);
    }

    private ExchangeAction OnBallot(SealedBallot message)
    {
        var definition = _election.Definition;
        var (refusal, reason, request) = Check(message, definition);
        if (request is not null)
        {
            Move(ExchangeEvent.BallotValid);
            return new ExchangeAction(null, null, request, false);
        }

        if (++_attempts >= _maxAttempts)
        {
            Move(ExchangeEvent.AttemptsExhausted);
            return Refuse(VoteRefusal.TooManyAttempts, $"{reason}; {_attempts} refused ballots, giving up");
        }

        Move(ExchangeEvent.BallotRefused);
        return ExchangeAction.Reply(VoteMessageType.No, new NoMessage(refusal, reason).Encode());
    }

    /// <summary>Step 4: the exchange ID, then unwrap + decrypt, then the signature (nothing unauthenticated is judged), then the ballot's format.</summary>
    private (VoteRefusal Refusal, string Reason, CommitRequest? Request) Check(SealedBallot message, ElectionDefinition definition)
    {
        if (!CryptographicOperations.FixedTimeEquals(message.ExchangeId, _exchangeId))
        {
            return (VoteRefusal.WrongExchange, "the ballot belongs to another exchange (replayed message)", null);
        }

        var aad = BallotCrypto.BallotAssociatedData(definition.Name, VoterId!, _exchangeId);
        if (!BallotCrypto.TryOpen(_election.ElectionKey, message, aad, _sessionKey, out var ballot, out var signature))
        {
            return (VoteRefusal.Undecryptable, "the ballot could not be decrypted (altered ciphertext or wrapped key, or not sealed for this election)", null);
        }

        var signedBytes = BallotCrypto.SignedBallotBytes(definition.Name, VoterId!, _nonce, ballot);
        if (!BallotCrypto.VerifyBallot(_voterKey!, signedBytes, signature))
        {
            return (VoteRefusal.BadSignature, $"the signature does not verify with the key registered for voter {VoterId}", null);
        }

        if (Ballot.Validate(ballot, definition.Candidates, definition.MaxScore) is { } invalid)
        {
            return (invalid.Error.ToRefusal(), invalid.Reason, null);
        }

        var hash = BallotCrypto.BallotHash(signedBytes, signature);
        return (default, string.Empty, new CommitRequest(definition.Name, VoterId!, ballot, hash, _nonce.ToArray(), signature));
    }

    private ExchangeAction OnOk(ReadOnlySpan<byte> payload)
    {
        if (!payload.IsEmpty)
        {
            throw new VoteProtocolException(VoteRefusal.Malformed, "\"ok\" carries no data");
        }

        Move(ExchangeEvent.OkReceived);
        Erase();
        return new ExchangeAction(null, null, null, true);
    }

    private ExchangeAction Refuse(VoteRefusal refusal, string reason)
    {
        Erase();
        return ExchangeAction.Reply(VoteMessageType.No, new NoMessage(refusal, reason).Encode(), close: true);
    }

    private void Move(ExchangeEvent on) => State = ExchangeStateTable.Next(State, on);

    private void Erase()
    {
        CryptographicOperations.ZeroMemory(_sessionKey);
        CryptographicOperations.ZeroMemory(_nonce);
        CryptographicOperations.ZeroMemory(_exchangeId);
        _voterKey?.Dispose();
        _voterKey = null;
    }
}
