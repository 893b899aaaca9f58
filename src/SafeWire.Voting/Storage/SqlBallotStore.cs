using System.Data.Common;

namespace SafeWire.Voting.Storage;

/// <summary>
/// The SQL shared by the SQLite and PostgreSQL stores (schema in docs/VOTING.md). Each commit runs in one
/// transaction that first takes the election's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT … FOR
/// UPDATE on the election row), so board sequence numbers and the hash chain stay linear across processes;
/// the ballots table's primary key (election, voter_id) is what makes "one counted ballot per voter" hold
/// even if that lock were bypassed.
/// </summary>
internal abstract class SqlBallotStore : IBallotStore
{
    private readonly TimeProvider _time;

    protected SqlBallotStore(TimeProvider? time)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The schema, as statements run in order inside the creating transaction.</summary>
    protected abstract IReadOnlyList<string> SchemaStatements { get; }

    /// <summary>Appended to the election-row SELECT of a commit to take its write lock (empty when BeginWrite already holds it).</summary>
    protected abstract string LockElectionRowClause { get; }

    protected abstract ValueTask<DbConnection> OpenAsync(bool creating, CancellationToken cancellationToken);

    /// <summary>Starts a transaction that will write (SQLite takes the database write lock here).</summary>
    protected abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Serializes writers inside this process (SQLite); the default does nothing.</summary>
    protected virtual ValueTask<IDisposable?> EnterWriterAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable?>(null);

    /// <summary>Runs before the schema statements in the creating transaction (PostgreSQL: an advisory lock against concurrent DDL).</summary>
    protected virtual Task BeforeSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task CreateElectionAsync(ElectionDefinition definition, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(creating: true, cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        await BeforeSchemaAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        foreach (var statement in SchemaStatements)
        {
            await using var ddl = Command(connection, transaction, statement);
            await ddl.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var exists = Command(connection, transaction, "SELECT COUNT(*) FROM elections WHERE name = @e", ("e", definition.Name)))
        {
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) != 0)
            {
                throw new VotingException($"The database already holds an election named \"{definition.Name}\".");
            }
        }

        await using (var insert = Command(connection, transaction,
            "INSERT INTO elections (name, candidates, max_score, allow_revote, state, board_seq, board_head) VALUES (@e, @c, @m, @r, 'open', 0, @h)",
            ("e", definition.Name), ("c", (long)definition.Candidates), ("m", (long)definition.MaxScore), ("r", definition.AllowRevote ? 1L : 0L),
            ("h", BoardEntry.GenesisHash(definition.Name))))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<ElectionState> GetStateAsync(string election, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(creating: false, cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT state FROM elections WHERE name = @e", ("e", election));
        var state = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string
            ?? throw new VotingException($"The database holds no election named \"{election}\".");
        return state == "open" ? ElectionState.Open : ElectionState.Closed;
    }

    public async Task<CommitOutcome> CommitAsync(CommitRequest request, Func<long, byte[], byte[], byte[]> receiptSigner, CancellationToken cancellationToken)
    {
        using var writer = await EnterWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenAsync(creating: false, cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);

        string state;
        bool allowRevote;
        long boardSequence;
        byte[] boardHead;
        await using (var select = Command(connection, transaction,
            "SELECT state, allow_revote, board_seq, board_head FROM elections WHERE name = @e" + LockElectionRowClause, ("e", request.Election)))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new VotingException($"The database holds no election named \"{request.Election}\".");
            }

            state = reader.GetString(0);
            allowRevote = reader.GetInt64(1) != 0;
            boardSequence = reader.GetInt64(2);
            boardHead = reader.GetFieldValue<byte[]>(3);
        }

        if (state != "open")
        {
            return new CommitOutcome(CommitStatus.Closed, null);
        }

        (string Ballot, BoardEntry Entry)? existing = null;
        await using (var select = Command(connection, transaction,
            "SELECT b.ballot, " + BoardColumnList + " FROM ballots b JOIN board e ON e.election = b.election AND e.seq = b.seq WHERE b.election = @e AND b.voter_id = @v",
            ("e", request.Election), ("v", request.VoterId)))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                existing = (reader.GetString(0), ReadEntry(reader, 1));
            }
        }

        if (existing is { } counted)
        {
            if (counted.Ballot == request.Ballot)
            {
                return new CommitOutcome(CommitStatus.Duplicate, counted.Entry.ToReceipt(request.Election));
            }

            if (!allowRevote)
            {
                return new CommitOutcome(CommitStatus.AlreadyVoted, null);
            }
        }

        var sequence = boardSequence + 1;
        var kind = existing is null ? BoardEntryKind.Cast : BoardEntryKind.Replace;
        var replaces = existing?.Entry.Sequence ?? 0;
        var recordedAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var entryHash = BoardEntry.ComputeHash(request.Election, sequence, kind, replaces, request.BallotHash, recordedAt, boardHead);
        var signature = receiptSigner(sequence, request.BallotHash, entryHash);

        await using (var insert = Command(connection, transaction,
            "INSERT INTO board (election, seq, kind, replaces, ballot_hash, recorded_at_ms, prev_hash, entry_hash, receipt_signature) VALUES (@e, @s, @k, @r, @bh, @t, @p, @h, @sig)",
            ("e", request.Election), ("s", sequence), ("k", (long)kind), ("r", replaces), ("bh", request.BallotHash), ("t", recordedAt),
            ("p", boardHead), ("h", entryHash), ("sig", signature)))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var ballotSql = existing is null
            ? "INSERT INTO ballots (election, voter_id, ballot, seq, nonce, voter_signature) VALUES (@e, @v, @b, @s, @n, @sig)"
            : "UPDATE ballots SET ballot = @b, seq = @s, nonce = @n, voter_signature = @sig WHERE election = @e AND voter_id = @v";
        await using (var ballot = Command(connection, transaction, ballotSql,
            ("e", request.Election), ("v", request.VoterId), ("b", request.Ballot), ("s", sequence), ("n", request.Nonce), ("sig", request.VoterSignature)))
        {
            await ballot.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var head = Command(connection, transaction,
            "UPDATE elections SET board_seq = @s, board_head = @h WHERE name = @e AND board_seq = @old",
            ("s", sequence), ("h", entryHash), ("e", request.Election), ("old", boardSequence)))
        {
            if (await head.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                throw new InvalidOperationException("The board head moved inside a locked transaction.");
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        var receipt = new Receipt(request.Election, sequence, request.BallotHash, entryHash, signature);
        return new CommitOutcome(existing is null ? CommitStatus.Counted : CommitStatus.Replaced, receipt);
    }

    public async Task CloseAsync(string election, CancellationToken cancellationToken)
    {
        using var writer = await EnterWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenAsync(creating: false, cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, transaction, "UPDATE elections SET state = 'closed' WHERE name = @e", ("e", election));
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            throw new VotingException($"The database holds no election named \"{election}\".");
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<BoardEntry>> ReadBoardAsync(string election, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(creating: false, cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null,
            "SELECT " + BoardColumnList + " FROM board e WHERE e.election = @e AND e.seq > @after ORDER BY e.seq LIMIT @limit",
            ("e", election), ("after", afterSequence), ("limit", (long)limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<BoardEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(ReadEntry(reader, 0));
        }

        return entries;
    }

    public async Task<Tally> TallyAsync(ElectionDefinition definition, CancellationToken cancellationToken)
    {
        if (await GetStateAsync(definition.Name, cancellationToken).ConfigureAwait(false) == ElectionState.Open)
        {
            throw new VotingException($"Election \"{definition.Name}\" is still open: results are published only after it is closed (safewire vote close {definition.Name}).");
        }

        var n = definition.Candidates;
        var scores = new long[n];
        var sums = new long[n];
        var stars = new long[n];
        long ballots = 0;
        await using var connection = await OpenAsync(creating: false, cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT ballot FROM ballots WHERE election = @e", ("e", definition.Name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // One short string per row is the only allocation (the providers' GetChars costs far more). Stored
            // ballots were validated before commit; a wrong length means the database was altered.
            var ballot = reader.GetString(0);
            if (ballot.Length != n)
            {
                throw new VotingException($"A stored ballot of election \"{definition.Name}\" has {ballot.Length} scores for {n} candidates: the database was altered.");
            }

            for (var i = 0; i < n; i++)
            {
                var c = ballot[i];
                if (c == Ballot.NoScore)
                {
                    stars[i]++;
                }
                else
                {
                    scores[i]++;
                    sums[i] += c - '0';
                }
            }

            ballots++;
        }

        var results = new CandidateResult[n];
        for (var i = 0; i < n; i++)
        {
            results[i] = new CandidateResult(i + 1, definition.CandidateName(i), scores[i], sums[i], stars[i]);
        }

        return new Tally(definition.Name, ballots, definition.MaxScore, results);
    }

    public async Task<IReadOnlyDictionary<string, string>> ReadCountedBallotsAsync(string election, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(creating: false, cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT voter_id, ballot FROM ballots WHERE election = @e", ("e", election));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var ballots = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ballots.Add(reader.GetString(0), reader.GetString(1));
        }

        return ballots;
    }

    public abstract ValueTask DisposeAsync();

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>The board columns in <see cref="ReadEntry"/>'s order, for a board table aliased <c>e</c>.</summary>
    private const string BoardColumnList = "e.seq, e.kind, e.replaces, e.ballot_hash, e.recorded_at_ms, e.prev_hash, e.entry_hash, e.receipt_signature";

    private static BoardEntry ReadEntry(DbDataReader reader, int first) => new(
        reader.GetInt64(first),
        (BoardEntryKind)reader.GetInt64(first + 1),
        reader.GetInt64(first + 2),
        reader.GetFieldValue<byte[]>(first + 3),
        reader.GetInt64(first + 4),
        reader.GetFieldValue<byte[]>(first + 5),
        reader.GetFieldValue<byte[]>(first + 6),
        reader.GetFieldValue<byte[]>(first + 7));
}

/// <summary>Opens the store an election's definition names: a PostgreSQL URL or connection string, else a SQLite file.</summary>
public static class BallotStore
{
    /// <summary>True when <paramref name="target"/> is a PostgreSQL URL or connection string rather than a SQLite file path.</summary>
    public static bool IsPostgres(string target) =>
        target.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || target.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || target.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens the store at <paramref name="target"/> (see <see cref="IsPostgres"/>); <paramref name="time"/> stamps board entries.</summary>
    public static IBallotStore Open(string target, TimeProvider? time = null) =>
        IsPostgres(target) ? new PostgresBallotStore(target, time) : new SqliteBallotStore(target, time);

    /// <summary>The target with any password replaced by ***, for printing.</summary>
    public static string Describe(string target) =>
        IsPostgres(target) ? "PostgreSQL " + PostgresBallotStore.Redact(target) : "SQLite " + target;
}
