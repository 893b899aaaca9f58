namespace SafeWire.Voting.Protocol;

/// <summary>Where a voting exchange stands (server side).</summary>
internal enum ExchangeState
{
    /// <summary>Step 1: waiting for the voter ID (or a board request).</summary>
    AwaitingVoterId,
    /// <summary>Steps 3-4: challenge sent; waiting for a sealed ballot (again after a refused one).</summary>
    AwaitingBallot,
    /// <summary>Step 5: a valid ballot is being committed to the database; nothing is read meanwhile.</summary>
    Committing,
    /// <summary>Step 6: "yes" sent; waiting for "ok".</summary>
    AwaitingOk,
    /// <summary>The exchange is over; its temporaries are erased and the connection closes.</summary>
    Finished,
}

/// <summary>What happened, as seen by the state machine.</summary>
internal enum ExchangeEvent
{
    VoterRegistered,
    VoterUnknown,
    BoardRequested,
    BallotRefused,
    AttemptsExhausted,
    BallotValid,
    Committed,
    CommitRefused,
    OkReceived,
    ProtocolViolation,
    ElectionInfoRequested,
}

/// <summary>
/// Every legal transition of the exchange in one table (the seed's steps 1-6), so the protocol can be read
/// and drawn from here:
/// <code>
/// AwaitingVoterId --VoterRegistered--> AwaitingBallot --BallotValid--> Committing --Committed--> AwaitingOk --OkReceived--> Finished
///        |  VoterUnknown, BoardRequested          | ^ BallotRefused          | CommitRefused
///        v                                        +-+ (same connection)      v
///     Finished                      AttemptsExhausted --> Finished        Finished
/// </code>
/// ElectionInfoRequested (a voter without a credential file asks for the election's public keys) also ends it.
/// Any state but Finished goes to Finished on ProtocolViolation. Anything else is a bug in the caller.
/// </summary>
internal static class ExchangeStateTable
{
    private static readonly Dictionary<(ExchangeState From, ExchangeEvent On), ExchangeState> s_transitions = new()
    {
        [(ExchangeState.AwaitingVoterId, ExchangeEvent.VoterRegistered)] = ExchangeState.AwaitingBallot,
        [(ExchangeState.AwaitingVoterId, ExchangeEvent.VoterUnknown)] = ExchangeState.Finished,
        [(ExchangeState.AwaitingVoterId, ExchangeEvent.BoardRequested)] = ExchangeState.Finished,
        [(ExchangeState.AwaitingVoterId, ExchangeEvent.ElectionInfoRequested)] = ExchangeState.Finished,
        [(ExchangeState.AwaitingBallot, ExchangeEvent.BallotRefused)] = ExchangeState.AwaitingBallot,
        [(ExchangeState.AwaitingBallot, ExchangeEvent.AttemptsExhausted)] = ExchangeState.Finished,
        [(ExchangeState.AwaitingBallot, ExchangeEvent.BallotValid)] = ExchangeState.Committing,
        [(ExchangeState.Committing, ExchangeEvent.Committed)] = ExchangeState.AwaitingOk,
        [(ExchangeState.Committing, ExchangeEvent.CommitRefused)] = ExchangeState.Finished,
        [(ExchangeState.AwaitingOk, ExchangeEvent.OkReceived)] = ExchangeState.Finished,
        [(ExchangeState.AwaitingVoterId, ExchangeEvent.ProtocolViolation)] = ExchangeState.Finished,
        [(ExchangeState.AwaitingBallot, ExchangeEvent.ProtocolViolation)] = ExchangeState.Finished,
        [(ExchangeState.Committing, ExchangeEvent.ProtocolViolation)] = ExchangeState.Finished,
        [(ExchangeState.AwaitingOk, ExchangeEvent.ProtocolViolation)] = ExchangeState.Finished,
    };

    public static IReadOnlyDictionary<(ExchangeState From, ExchangeEvent On), ExchangeState> Transitions => s_transitions;

    /// <summary>The state after <paramref name="on"/> in <paramref name="from"/>; throws if the table has no such edge.</summary>
    public static ExchangeState Next(ExchangeState from, ExchangeEvent on) =>
        s_transitions.TryGetValue((from, on), out var next)
            ? next
            : throw new InvalidOperationException($"No transition from {from} on {on}.");

    /// <summary>The message the peer may send in <paramref name="state"/> (null: nothing is read in that state).</summary>
    public static IReadOnlyList<VoteMessageType> Expected(ExchangeState state) => state switch
    {
        ExchangeState.AwaitingVoterId => [VoteMessageType.VoterId, VoteMessageType.BoardRequest, VoteMessageType.ElectionInfoRequest],
        ExchangeState.AwaitingBallot => [VoteMessageType.SealedBallot],
        ExchangeState.AwaitingOk => [VoteMessageType.Ok],
        _ => [],
    };
}
