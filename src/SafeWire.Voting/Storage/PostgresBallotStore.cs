using System.Data.Common;
using Npgsql;

namespace SafeWire.Voting.Storage;

/// <summary>
/// PostgreSQL storage, for elections served by several <c>vote serve</c> processes (on several machines).
/// Each commit locks the election's row (SELECT … FOR UPDATE), which orders the board across servers; the
/// ballots primary key guarantees one counted ballot per voter. Commits are durable with PostgreSQL's defaults
/// (fsync on, synchronous_commit on).
/// </summary>
internal sealed class PostgresBallotStore : SqlBallotStore
{
    // Any fixed number: serializes concurrent schema creation (CREATE TABLE IF NOT EXISTS races in PostgreSQL).
    private const long SchemaLockKey = 0x5341_4645_564F_5445; // "SAFEVOTE"

    private readonly NpgsqlDataSource _dataSource;

    public PostgresBallotStore(string target, TimeProvider? time = null)
        : base(time)
    {
        _dataSource = NpgsqlDataSource.Create(ToConnectionString(target));
    }

    protected override IReadOnlyList<string> SchemaStatements { get; } =
    [
        """
        CREATE TABLE IF NOT EXISTS elections (
            name         TEXT   PRIMARY KEY,
            candidates   BIGINT NOT NULL,
            max_score    BIGINT NOT NULL,
            allow_revote BIGINT NOT NULL,
            state        TEXT   NOT NULL CHECK (state IN ('open', 'closed')),
            board_seq    BIGINT NOT NULL,
            board_head   BYTEA  NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS board (
            election          TEXT   NOT NULL REFERENCES elections (name),
            seq               BIGINT NOT NULL,
            kind              BIGINT NOT NULL CHECK (kind IN (1, 2)),
            replaces          BIGINT NOT NULL,
            ballot_hash       BYTEA  NOT NULL,
            recorded_at_ms    BIGINT NOT NULL,
            prev_hash         BYTEA  NOT NULL,
            entry_hash        BYTEA  NOT NULL,
            receipt_signature BYTEA  NOT NULL,
            PRIMARY KEY (election, seq))
        """,
        """
        CREATE TABLE IF NOT EXISTS ballots (
            election        TEXT   NOT NULL REFERENCES elections (name),
            voter_id        TEXT   NOT NULL,
            ballot          TEXT   NOT NULL,
            seq             BIGINT NOT NULL,
            nonce           BYTEA  NOT NULL,
            voter_signature BYTEA  NOT NULL,
            PRIMARY KEY (election, voter_id),
            UNIQUE (election, seq),
            FOREIGN KEY (election, seq) REFERENCES board (election, seq))
        """,
    ];

    protected override string LockElectionRowClause => " FOR UPDATE";

    protected override async ValueTask<DbConnection> OpenAsync(bool creating, CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw new VotingException($"Cannot connect to PostgreSQL ({Redact(_dataSource.ConnectionString)}): {e.Message}", e);
        }
    }

    protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task BeforeSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT pg_advisory_xact_lock(@k)", ("k", SchemaLockKey));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Accepts <c>postgres://user:password@host:port/database?sslmode=…</c> or an Npgsql connection string.</summary>
    public static string ToConnectionString(string target)
    {
        if (!target.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            && !target.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new NpgsqlConnectionStringBuilder(target).ConnectionString;
        }

        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new VotingException($"Not a PostgreSQL URL: {Redact(target)} (expected postgres://user:password@host:port/database).");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : null,
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            try
            {
                builder[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
            }
            catch (ArgumentException e)
            {
                throw new VotingException($"Unknown PostgreSQL URL parameter \"{kv[0]}\".", e);
            }
        }

        return builder.ConnectionString;
    }

    /// <summary>The target without its password.</summary>
    public static string Redact(string target)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(ToConnectionString(target));
            if (builder.Password is not null)
            {
                builder.Password = "***";
            }

            return $"{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        }
        catch (Exception e) when (e is ArgumentException or VotingException)
        {
            return "(unparsable connection string)";
        }
    }
}
