using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace SafeWire.Voting.Verifiable;

/// <summary>How recording a ballot ended.</summary>
public enum RecordStatus
{
    /// <summary>Newly recorded.</summary>
    Recorded,

    /// <summary>The same ballot was already recorded for this voter (a resend): the earlier sequence number is returned.</summary>
    AlreadyRecorded,

    /// <summary>The voter already has another ballot on the record.</summary>
    AlreadyVoted,

    /// <summary>Another voter's ballot has this confirmation code (a copied ballot).</summary>
    DuplicateCode,

    /// <summary>The election is closed.</summary>
    Closed,
}

/// <summary>
/// The verifiable mode's ballot box (SQLite, WAL, synchronous=FULL): one row per voter, unique confirmation codes,
/// sequence numbers 1, 2, …; each record is one BEGIN IMMEDIATE transaction, durable before the voter hears "recorded".
/// It stores only what the record publishes: encrypted ballots, never anything that decrypts them.
/// </summary>
public sealed class VerifiableBallotStore : IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>Opens (creating when absent) the database at <paramref name="path"/>.</summary>
    public VerifiableBallotStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(path),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 60,
        }.ToString();
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode=WAL");
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS vstate (
                id    INTEGER PRIMARY KEY CHECK (id = 1),
                state TEXT    NOT NULL CHECK (state IN ('open', 'closed')))
            """);
        Execute(connection, "INSERT OR IGNORE INTO vstate (id, state) VALUES (1, 'open')");
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS vballots (
                seq            INTEGER PRIMARY KEY,
                voter_id       TEXT    NOT NULL UNIQUE,
                code           TEXT    NOT NULL UNIQUE,
                ballot         TEXT    NOT NULL,
                recorded_at_ms INTEGER NOT NULL)
            """);
    }

    /// <summary>Records <paramref name="ballot"/> (already checked) exactly once; returns the status and its sequence number.</summary>
    public async Task<(RecordStatus Status, long Sequence)> RecordAsync(EncryptedBallotJson ballot, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction(deferred: false);
            if (Scalar(connection, "SELECT state FROM vstate WHERE id = 1") as string == "closed")
            {
                return (RecordStatus.Closed, 0);
            }

            using (var byVoter = Command(connection, "SELECT seq, code FROM vballots WHERE voter_id = $v", ("$v", ballot.VoterId)))
            using (var reader = byVoter.ExecuteReader())
            {
                if (reader.Read())
                {
                    return (reader.GetString(1) == ballot.Code ? RecordStatus.AlreadyRecorded : RecordStatus.AlreadyVoted, reader.GetInt64(0));
                }
            }

            if (Scalar(connection, "SELECT seq FROM vballots WHERE code = $c", ("$c", ballot.Code)) is long)
            {
                return (RecordStatus.DuplicateCode, 0);
            }

            var sequence = (long)Scalar(connection, "SELECT COALESCE(MAX(seq), 0) + 1 FROM vballots")!;
            var json = JsonSerializer.Serialize(ballot with { Sequence = sequence }, VerifiableJson.Default.EncryptedBallotJson);
            using (var insert = Command(connection, "INSERT INTO vballots (seq, voter_id, code, ballot, recorded_at_ms) VALUES ($s, $v, $c, $b, $t)",
                ("$s", sequence), ("$v", ballot.VoterId), ("$c", ballot.Code), ("$b", json), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())))
            {
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
            return (RecordStatus.Recorded, sequence);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>True once <see cref="Close"/> ran.</summary>
    public bool IsClosed()
    {
        using var connection = Open();
        return Scalar(connection, "SELECT state FROM vstate WHERE id = 1") as string == "closed";
    }

    /// <summary>Closes the election: no more ballots.</summary>
    public void Close()
    {
        using var connection = Open();
        Execute(connection, "UPDATE vstate SET state = 'closed' WHERE id = 1");
    }

    /// <summary>Every recorded ballot in sequence order.</summary>
    public List<EncryptedBallotJson> ReadAll()
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT ballot FROM vballots ORDER BY seq");
        using var reader = command.ExecuteReader();
        var ballots = new List<EncryptedBallotJson>();
        while (reader.Read())
        {
            ballots.Add(JsonSerializer.Deserialize(reader.GetString(0), VerifiableJson.Default.EncryptedBallotJson)!);
        }

        return ballots;
    }

    /// <summary>Releases the writer lock object.</summary>
    public void Dispose() => _writer.Dispose();

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous=FULL");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // Every statement is a constant of this class; values go in as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
