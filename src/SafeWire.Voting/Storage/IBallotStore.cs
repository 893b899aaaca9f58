namespace SafeWire.Voting.Storage;

/// <summary>A valid, verified ballot to count: everything the store needs to record it and its board entry.</summary>
public sealed record CommitRequest(string Election, string VoterId, string Ballot, byte[] BallotHash, byte[] Nonce, byte[] VoterSignature);

/// <summary>What <see cref="IBallotStore.CommitAsync"/> did with a ballot.</summary>
public enum CommitStatus
{
    /// <summary>The voter's first ballot: counted, new board entry.</summary>
    Counted,
    /// <summary>A revote: this ballot now counts, and the board records which entry it replaces.</summary>
    Replaced,
    /// <summary>The same ballot as the one already counted for this voter: nothing changes, the same receipt.</summary>
    Duplicate,
    /// <summary>A different ballot is already counted and the election does not allow revoting.</summary>
    AlreadyVoted,
    /// <summary>The election is closed.</summary>
    Closed,
}

/// <summary>What a commit did; <see cref="Receipt"/> is set for Counted, Replaced and Duplicate.</summary>
public sealed record CommitOutcome(CommitStatus Status, Receipt? Receipt);

/// <summary>Whether an election still takes ballots.</summary>
public enum ElectionState
{
    /// <summary>Ballots are being taken.</summary>
    Open,
    /// <summary>Voting is over; the tally can be taken.</summary>
    Closed,
}

/// <summary>Per-candidate results.</summary>
public sealed record CandidateResult(int Index, string Name, long Scores, long Sum, long NoScore)
{
    /// <summary>Mean of the given scores (null when nobody scored this candidate).</summary>
    public double? Mean => Scores == 0 ? null : (double)Sum / Scores;
}

/// <summary>The tally of a closed election.</summary>
public sealed record Tally(string Election, long Ballots, int MaxScore, IReadOnlyList<CandidateResult> Candidates);

/// <summary>
/// Durable storage of one or more elections: the counted ballots (one per voter, enforced by the database's
/// primary key), the hash-chained board and the open/closed state. SQLite by default, PostgreSQL when several
/// servers share an election. A commit is durable when CommitAsync returns: the "yes" is sent only after that.
/// </summary>
public interface IBallotStore : IAsyncDisposable
{
    /// <summary>Creates the schema if needed and the election's row; throws <see cref="VotingException"/> if the election exists.</summary>
    Task CreateElectionAsync(ElectionDefinition definition, CancellationToken cancellationToken);

    /// <summary>The election's state; throws <see cref="VotingException"/> if the store does not know it.</summary>
    Task<ElectionState> GetStateAsync(string election, CancellationToken cancellationToken);

    /// <summary>
    /// Counts <paramref name="request"/> in one transaction: appends the board entry, records the ballot, signs the
    /// receipt with <paramref name="receiptSigner"/>. Concurrent commits for one voter (any process) count once.
    /// </summary>
    Task<CommitOutcome> CommitAsync(CommitRequest request, Func<long, byte[], byte[], byte[]> receiptSigner, CancellationToken cancellationToken);

    /// <summary>Closes the election: later commits get <see cref="CommitStatus.Closed"/>. Idempotent.</summary>
    Task CloseAsync(string election, CancellationToken cancellationToken);

    /// <summary>Board entries with sequence &gt; <paramref name="afterSequence"/>, in order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<BoardEntry>> ReadBoardAsync(string election, long afterSequence, int limit, CancellationToken cancellationToken);

    /// <summary>Tallies the counted ballots; refuses (<see cref="VotingException"/>) while the election is open.</summary>
    Task<Tally> TallyAsync(ElectionDefinition definition, CancellationToken cancellationToken);

    /// <summary>The counted ballot of each voter (voter ID → ballot), for audits and tests.</summary>
    Task<IReadOnlyDictionary<string, string>> ReadCountedBallotsAsync(string election, CancellationToken cancellationToken);
}
