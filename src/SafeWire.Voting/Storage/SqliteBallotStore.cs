using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace SafeWire.Voting.Storage;

/// <summary>
/// SQLite storage (the default: one file in the election's folder). WAL journal, synchronous=FULL so a commit
/// is on disk before "yes" is sent, BEGIN IMMEDIATE so concurrent writers (even other processes) queue on the
/// database lock instead of failing at commit time.
/// </summary>
internal sealed class SqliteBallotStore : SqlBallotStore
{
    private readonly string _path;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteBallotStore(string path, TimeProvider? time = null)
        : base(time)
    {
        _path = Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 60, // seconds a writer waits for another process's lock
        }.ToString();
    }

    protected override IReadOnlyList<string> SchemaStatements { get; } =
    [
        """
        CREATE TABLE IF NOT EXISTS elections (
            name         TEXT    PRIMARY KEY,
            candidates   INTEGER NOT NULL,
            max_score    INTEGER NOT NULL,
            allow_revote INTEGER NOT NULL,
            state        TEXT    NOT NULL CHECK (state IN ('open', 'closed')),
            board_seq    INTEGER NOT NULL,
            board_head   BLOB    NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS board (
            election          TEXT    NOT NULL REFERENCES elections (name),
            seq               INTEGER NOT NULL,
            kind              INTEGER NOT NULL CHECK (kind IN (1, 2)),
            replaces          INTEGER NOT NULL,
            ballot_hash       BLOB    NOT NULL,
            recorded_at_ms    INTEGER NOT NULL,
            prev_hash         BLOB    NOT NULL,
            entry_hash        BLOB    NOT NULL,
            receipt_signature BLOB    NOT NULL,
            PRIMARY KEY (election, seq))
        """,
        """
        CREATE TABLE IF NOT EXISTS ballots (
            election        TEXT    NOT NULL REFERENCES elections (name),
            voter_id        TEXT    NOT NULL,
            ballot          TEXT    NOT NULL,
            seq             INTEGER NOT NULL,
            nonce           BLOB    NOT NULL,
            voter_signature BLOB    NOT NULL,
            PRIMARY KEY (election, voter_id),
            UNIQUE (election, seq),
            FOREIGN KEY (election, seq) REFERENCES board (election, seq))
        """,
    ];

    protected override string LockElectionRowClause => string.Empty;

    protected override async ValueTask<DbConnection> OpenAsync(bool creating, CancellationToken cancellationToken)
    {
        if (!creating && !File.Exists(_path))
        {
            throw new VotingException($"The election database {_path} does not exist.");
        }

        if (creating)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragmas = connection.CreateCommand();
            // journal_mode is persistent in the file but cannot change inside a transaction: set it when creating.
            pragmas.CommandText = (creating ? "PRAGMA journal_mode = WAL; " : "") + "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // deferred: false is BEGIN IMMEDIATE: the write lock is taken now, so the reads that follow see the latest head.
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override async ValueTask<IDisposable?> EnterWriterAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(_writer);
    }

    public override ValueTask DisposeAsync()
    {
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }
}
