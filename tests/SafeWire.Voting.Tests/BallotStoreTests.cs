using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using SafeWire.Voting.Storage;

namespace SafeWire.Voting.Tests;

/// <summary>The storage contract; run against SQLite and against a real PostgreSQL server.</summary>
public abstract class BallotStoreTests
{
    /// <summary>null: SQLite in the election's folder; else a PostgreSQL connection string.</summary>
    protected abstract string? Database();

    private Task<TestElection> NewElectionAsync(bool allowRevote = false, int voters = 3) =>
        TestElection.CreateAsync(candidates: 3, maxScore: 5, allowRevote: allowRevote, voters: voters, database: Database());

    private static CommitRequest Request(TestElection election, string voterId, string ballot)
    {
        var hash = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        return new CommitRequest(election.Name, voterId, ballot, hash, new byte[32], new byte[64]);
    }

    [Fact]
    public async Task First_ballot_is_counted_with_a_signed_receipt_on_an_intact_board()
    {
        await using var election = await NewElectionAsync();
        var outcome = await election.Store.CommitAsync(Request(election, "1", "543"), election.Signer, CancellationToken.None);
        Assert.Equal(CommitStatus.Counted, outcome.Status);
        Assert.Equal(1, outcome.Receipt!.Sequence);
        Assert.True(outcome.Receipt.VerifySignature(election.ReceiptKey));

        var board = await election.Store.ReadBoardAsync(election.Name, 0, 100, CancellationToken.None);
        Assert.Single(board);
        Assert.Empty(BoardAudit.VerifyChain(election.Name, board, election.ReceiptKey));
        Assert.Equal(ReceiptStatus.Counted, BoardAudit.CheckReceipt(outcome.Receipt, board, election.ReceiptKey).Status);
        Assert.Equal("543", (await election.Store.ReadCountedBallotsAsync(election.Name, CancellationToken.None))["1"]);
    }

    [Fact]
    public async Task Identical_resend_returns_the_same_receipt_and_a_different_ballot_is_already_voted()
    {
        await using var election = await NewElectionAsync();
        var first = await election.Store.CommitAsync(Request(election, "1", "543"), election.Signer, CancellationToken.None);
        var again = await election.Store.CommitAsync(Request(election, "1", "543"), election.Signer, CancellationToken.None);
        Assert.Equal(CommitStatus.Duplicate, again.Status);
        Assert.Equal(first.Receipt, again.Receipt, ReceiptComparer.Instance);

        var other = await election.Store.CommitAsync(Request(election, "1", "111"), election.Signer, CancellationToken.None);
        Assert.Equal(CommitStatus.AlreadyVoted, other.Status);
        Assert.Null(other.Receipt);
        Assert.Single(await election.Store.ReadBoardAsync(election.Name, 0, 100, CancellationToken.None));
    }

    [Fact]
    public async Task Revote_replaces_the_counted_ballot_and_the_board_shows_the_replaced_receipt()
    {
        await using var election = await NewElectionAsync(allowRevote: true);
        var first = await election.Store.CommitAsync(Request(election, "1", "543"), election.Signer, CancellationToken.None);
        await election.Store.CommitAsync(Request(election, "2", "000"), election.Signer, CancellationToken.None);
        var second = await election.Store.CommitAsync(Request(election, "1", "1*1"), election.Signer, CancellationToken.None);
        Assert.Equal(CommitStatus.Replaced, second.Status);
        Assert.Equal(3, second.Receipt!.Sequence);

        var board = await election.Store.ReadBoardAsync(election.Name, 0, 100, CancellationToken.None);
        Assert.Equal(3, board.Count);
        Assert.Equal(BoardEntryKind.Replace, board[2].Kind);
        Assert.Equal(1, board[2].Replaces);
        Assert.Empty(BoardAudit.VerifyChain(election.Name, board, election.ReceiptKey));
        Assert.Equal(ReceiptStatus.Replaced, BoardAudit.CheckReceipt(first.Receipt!, board, election.ReceiptKey).Status);
        Assert.Equal(ReceiptStatus.Counted, BoardAudit.CheckReceipt(second.Receipt, board, election.ReceiptKey).Status);

        await election.Store.CloseAsync(election.Name, CancellationToken.None);
        var tally = await election.Store.TallyAsync(election.Files.Definition, CancellationToken.None);
        Assert.Equal(2, tally.Ballots); // voter 1 counts once, with the last ballot
        Assert.Equal([2L, 1L, 2L], tally.Candidates.Select(c => c.Scores)); // voter 2's 0 is a score
        Assert.Equal([1L, 0L, 1L], tally.Candidates.Select(c => c.Sum));
        Assert.Equal([0L, 1L, 0L], tally.Candidates.Select(c => c.NoScore));
    }

    [Fact]
    public async Task Hundred_parallel_commits_by_one_voter_count_once_even_through_two_store_instances()
    {
        await using var election = await NewElectionAsync();
        await using var second = BallotStore.Open(election.Files.DatabaseTarget); // as a second server process would
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() =>
            (i % 2 == 0 ? election.Store : second).CommitAsync(Request(election, "1", $"{i % 6}{i / 20 % 6}*"), election.Signer, CancellationToken.None))));

        var counted = outcomes.Where(o => o.Status == CommitStatus.Counted).ToList();
        Assert.Single(counted);
        Assert.All(outcomes, o => Assert.Contains(o.Status, new[] { CommitStatus.Counted, CommitStatus.Duplicate, CommitStatus.AlreadyVoted }));
        Assert.All(outcomes.Where(o => o.Status == CommitStatus.Duplicate), o => Assert.Equal(1, o.Receipt!.Sequence));
        Assert.Single(await election.Store.ReadCountedBallotsAsync(election.Name, CancellationToken.None));
        Assert.Single(await election.Store.ReadBoardAsync(election.Name, 0, 1000, CancellationToken.None));
    }

    [Fact]
    public async Task Parallel_commits_of_many_voters_keep_one_linear_chain()
    {
        await using var election = await NewElectionAsync(voters: 1);
        await using var second = BallotStore.Open(election.Files.DatabaseTarget);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            (i % 2 == 0 ? election.Store : second).CommitAsync(Request(election, "v" + i, "123"), election.Signer, CancellationToken.None))));
        var board = await election.Store.ReadBoardAsync(election.Name, 0, 1000, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), board.Select(e => e.Sequence));
        Assert.Empty(BoardAudit.VerifyChain(election.Name, board, election.ReceiptKey));
    }

    [Fact]
    public async Task One_counted_ballot_per_voter_is_a_database_constraint()
    {
        await using var election = await NewElectionAsync();
        var outcome = await election.Store.CommitAsync(Request(election, "1", "543"), election.Signer, CancellationToken.None);
        // Bypass the store's logic entirely: the database itself refuses a second row for voter 1.
        var error = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync(election,
            $"INSERT INTO ballots (election, voter_id, ballot, seq, nonce, voter_signature) VALUES ('{election.Name}', '1', '000', {outcome.Receipt!.Sequence}, x'00', x'00')"
                .Replace("x'00'", Database() is null ? "x'00'" : "'\\x00'::bytea", StringComparison.Ordinal)));
        Assert.Contains(Database() is null ? "UNIQUE" : "duplicate key", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Closed_election_refuses_ballots_and_results_are_refused_while_open()
    {
        await using var election = await NewElectionAsync();
        await election.Store.CommitAsync(Request(election, "1", "543"), election.Signer, CancellationToken.None);
        var open = await Assert.ThrowsAsync<VotingException>(() => election.Store.TallyAsync(election.Files.Definition, CancellationToken.None));
        Assert.Contains("still open", open.Message, StringComparison.Ordinal);

        await election.Store.CloseAsync(election.Name, CancellationToken.None);
        Assert.Equal(ElectionState.Closed, await election.Store.GetStateAsync(election.Name, CancellationToken.None));
        var late = await election.Store.CommitAsync(Request(election, "2", "111"), election.Signer, CancellationToken.None);
        Assert.Equal(CommitStatus.Closed, late.Status);

        var tally = await election.Store.TallyAsync(election.Files.Definition, CancellationToken.None);
        Assert.Equal(1, tally.Ballots);
        Assert.Equal(5.0, tally.Candidates[0].Mean);
    }

    [Fact]
    public async Task Creating_an_election_twice_is_refused()
    {
        await using var election = await NewElectionAsync();
        await Assert.ThrowsAsync<VotingException>(() => election.Store.CreateElectionAsync(election.Files.Definition, CancellationToken.None));
    }

    [Fact]
    public async Task A_modified_board_row_is_detected()
    {
        await using var election = await NewElectionAsync();
        var receipts = new List<Receipt>();
        foreach (var voter in new[] { "1", "2", "3" })
        {
            receipts.Add((await election.Store.CommitAsync(Request(election, voter, "123"), election.Signer, CancellationToken.None)).Receipt!);
        }

        await ExecuteAsync(election, $"UPDATE board SET recorded_at_ms = recorded_at_ms + 1 WHERE election = '{election.Name}' AND seq = 2");
        var board = await election.Store.ReadBoardAsync(election.Name, 0, 100, CancellationToken.None);
        var problems = BoardAudit.VerifyChain(election.Name, board, election.ReceiptKey);
        Assert.Contains(problems, p => p.StartsWith("entry 2: entry hash does not match", StringComparison.Ordinal));
        Assert.Equal(ReceiptStatus.BoardBroken, BoardAudit.CheckReceipt(receipts[0], board, election.ReceiptKey).Status);
    }

    private async Task ExecuteAsync(TestElection election, string sql)
    {
        await using DbConnection connection = Database() is { } pg
            ? new NpgsqlConnection(PostgresBallotStore.ToConnectionString(pg))
            : new SqliteConnection("Data Source=" + election.Files.DefaultDatabasePath);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private sealed class ReceiptComparer : IEqualityComparer<Receipt?>
    {
        public static readonly ReceiptComparer Instance = new();

        public bool Equals(Receipt? x, Receipt? y) =>
            x is not null && y is not null && x.Election == y.Election && x.Sequence == y.Sequence
            && x.BallotHash.SequenceEqual(y.BallotHash) && x.BoardHead.SequenceEqual(y.BoardHead) && x.Signature.SequenceEqual(y.Signature);

        public int GetHashCode(Receipt? obj) => obj?.Sequence.GetHashCode() ?? 0;
    }
}

public sealed class SqliteBallotStoreTests : BallotStoreTests
{
    protected override string? Database() => null;

    [Fact]
    public async Task Database_is_in_the_election_folder_in_wal_mode_and_private_keys_are_owner_only()
    {
        await using var election = await TestElection.CreateAsync();
        Assert.True(File.Exists(election.Files.DefaultDatabasePath));
        await using var connection = new SqliteConnection("Data Source=" + election.Files.DefaultDatabasePath);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(election.Files.ElectionKeyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(election.Files.ReceiptKeyPath));
        }
    }
}

public sealed class PostgresBallotStoreTests : BallotStoreTests
{
    protected override string? Database() => TestPostgres.Require();

    [Fact]
    public void Postgres_urls_become_connection_strings()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresBallotStore.ToConnectionString("postgres://vote%40r:p%3Ass@db.example:6543/elections?sslmode=require"));
        Assert.Equal("vote@r", builder.Username);
        Assert.Equal("p:ss", builder.Password);
        Assert.Equal("db.example", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("elections", builder.Database);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.DoesNotContain("p:ss", PostgresBallotStore.Redact("postgres://u:p%3Ass@h/d"), StringComparison.Ordinal);
    }
}
