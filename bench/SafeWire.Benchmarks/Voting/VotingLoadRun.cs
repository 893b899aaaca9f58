using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using SafeWire.Identity;
using SafeWire.Voting;
using SafeWire.Voting.Protocol;
using SafeWire.Voting.Storage;

namespace SafeWire.Benchmarks.Voting;

/// <summary>
/// Whole-system voting load run (Stopwatch; numbers go to docs/BENCHMARKS.md "Voting"):
/// <c>dotnet run -c Release --project bench/SafeWire.Benchmarks -- voting-load [--pg CONNECTION] [--ballots N] [--tally N]</c>.
/// Ballots/s end to end over loopback (SecureStream handshake + exchange + durable commit, a new connection
/// per voter) with 1, 10 and 100 concurrent voters on SQLite (and PostgreSQL when given or when
/// $SAFEWIRE_TEST_POSTGRES is set); the cost of each step alone; a tally of N stored ballots (default 1,000,000).
/// </summary>
internal static class VotingLoadRun
{
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.FirstOrDefault() != "voting-load")
        {
            return false;
        }

        exitCode = RunAsync(args[1..]).GetAwaiter().GetResult();
        return true;
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var pg = (Option(args, "--pg") ?? Environment.GetEnvironmentVariable("SAFEWIRE_TEST_POSTGRES")) is { Length: > 0 } value ? value : null;
        var ballots = int.Parse(Option(args, "--ballots") ?? "400", CultureInfo.InvariantCulture);
        var tallySize = int.Parse(Option(args, "--tally") ?? "1000000", CultureInfo.InvariantCulture);
        Console.WriteLine($"voting load run: {Environment.ProcessorCount} cores, {ballots} ballots per run, .NET {Environment.Version}");

        await StepCostsAsync(pg);
        Console.WriteLine();
        Console.WriteLine("| store | concurrent voters | ballots | seconds | ballots/s |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (label, database) in Stores(pg))
        {
            foreach (var concurrency in new[] { 1, 10, 100 })
            {
                var count = concurrency == 1 ? Math.Min(ballots, 200) : ballots;
                var (seconds, done) = await EndToEndAsync(database, concurrency, count);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {concurrency} | {done} | {seconds:0.00} | {done / seconds:0} |"));
            }
        }

        Console.WriteLine();
        await TallyAsync(tallySize);
        return 0;
    }

    private static IEnumerable<(string Label, string? Database)> Stores(string? pg)
    {
        yield return ("SQLite", null);
        if (pg is not null)
        {
            yield return ("PostgreSQL", pg);
        }
    }

    /// <summary>Where the server's time goes, one step at a time (single thread, averages).</summary>
    private static async Task StepCostsAsync(string? pg)
    {
        using var rsa = RSA.Create(ElectionFiles.ElectionKeyBits);
        using var voter = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = RandomNumberGenerator.GetBytes(32);
        var wrapped = rsa.Encrypt(key, RSAEncryptionPadding.OaepSHA256);
        var signed = BallotCrypto.SignedBallotBytes("bench", "1", new byte[32], "45432*3");
        var signature = BallotCrypto.SignBallot(voter, signed);
        const int N = 500;
        var unwrap = Time(N, () => rsa.Decrypt(wrapped, RSAEncryptionPadding.OaepSHA256));
        var verify = Time(N, () => BallotCrypto.VerifyBallot(voter, signed, signature));
        Console.WriteLine("| step (server side, one ballot) | microseconds |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| RSA-3072 OAEP unwrap of the session key | {unwrap:0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| ECDSA P-256 signature verify | {verify:0} |"));
        foreach (var (label, database) in Stores(pg))
        {
            await using var election = await BenchElection.CreateAsync(database, voters: 0, rsa);
            var i = 0;
            var stopwatch = Stopwatch.StartNew();
            for (; i < 200; i++)
            {
                await election.Store.CommitAsync(new CommitRequest(election.Name, "v" + i, "45432*3", RandomNumberGenerator.GetBytes(32), new byte[32], new byte[64]), election.Signer, CancellationToken.None);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| durable commit, {label} (board entry + ballot + receipt signature) | {stopwatch.Elapsed.TotalMicroseconds / i:0} |"));
        }
    }

    private static double Time(int n, Action action)
    {
        action();
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            action();
        }

        return stopwatch.Elapsed.TotalMicroseconds / n;
    }

    /// <summary>Ballots per second through the whole stack: TCP connect, SecureStream handshake, exchange, commit.</summary>
    private static async Task<(double Seconds, int Done)> EndToEndAsync(string? database, int concurrency, int ballots)
    {
        await using var election = await BenchElection.CreateAsync(database, ballots, null);
        using var credential = election.Home.LoadOrCreateServerCredential("vote-server", ["localhost"], [IPAddress.Loopback]);
        var verifier = VoteTransport.ServerVerifier(VoteTransport.CaCertificatePem(election.Home), election.Home);
        await using var host = new LoopbackVoteServer(credential, election.Server.HandleConnectionAsync);

        var next = -1;
        var done = 0;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < ballots)
            {
                var voter = election.Voters[i];
                await using var stream = await VoteTransport.ConnectAsync("127.0.0.1", host.Port, verifier, "127.0.0.1", CancellationToken.None);
                var result = await VoteClient.CastAsync(stream, voter, voter.VoterId, (_, _) => ValueTask.FromResult<string?>("45432*3"), CancellationToken.None);
                if (result.Accepted)
                {
                    Interlocked.Increment(ref done);
                }
            }
        })));
        var seconds = stopwatch.Elapsed.TotalSeconds;
        return (seconds, done);
    }

    /// <summary>Tally of <paramref name="count"/> ballots bulk-loaded into SQLite: time and memory.</summary>
    private static async Task TallyAsync(int count)
    {
        using var rsa = RSA.Create(2048); // not used by the tally; a small key keeps set-up quick
        await using var election = await BenchElection.CreateAsync(null, voters: 0, rsa, candidates: 7);
        var load = Stopwatch.StartNew();
        await using (var connection = new SqliteConnection("Data Source=" + election.Files.DefaultDatabasePath))
        {
            await connection.OpenAsync();
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await using var board = connection.CreateCommand();
            board.CommandText = "INSERT INTO board VALUES ($e, $s, 1, 0, $h, 0, $h, $h, $sig)";
            await using var ballot = connection.CreateCommand();
            ballot.CommandText = "INSERT INTO ballots VALUES ($e, $v, $b, $s, $h, $sig)";
            var hash = new byte[32];
            var signature = new byte[64];
            var e = board.Parameters.AddWithValue("$e", election.Name);
            var s = board.Parameters.AddWithValue("$s", 0L);
            board.Parameters.AddWithValue("$h", hash);
            board.Parameters.AddWithValue("$sig", signature);
            ballot.Parameters.AddWithValue("$e", election.Name);
            var v = ballot.Parameters.AddWithValue("$v", "");
            var b = ballot.Parameters.AddWithValue("$b", "");
            var bs = ballot.Parameters.AddWithValue("$s", 0L);
            ballot.Parameters.AddWithValue("$h", hash);
            ballot.Parameters.AddWithValue("$sig", signature);
            var random = new Random(1);
            var text = new char[7];
            for (var i = 1; i <= count; i++)
            {
                s.Value = (long)i;
                bs.Value = (long)i;
                v.Value = i.ToString(CultureInfo.InvariantCulture);
                for (var c = 0; c < text.Length; c++)
                {
                    var r = random.Next(11);
                    text[c] = r == 10 ? '*' : (char)('0' + r);
                }

                b.Value = new string(text);
                await board.ExecuteNonQueryAsync();
                await ballot.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
            _ = e;
        }

        await election.Store.CloseAsync(election.Name, CancellationToken.None);
        var loadSeconds = load.Elapsed.TotalSeconds;
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        var tally = await election.Store.TallyAsync(election.Files.Definition, CancellationToken.None);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Console.WriteLine("| tally | ballots | seconds | allocated during tally | process working set after |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| SQLite, 7 candidates | {tally.Ballots:N0} | {seconds:0.00} | {allocated / 1048576.0:0.0} MiB | {Environment.WorkingSet / 1048576.0:0} MiB |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(bulk load of the {count:N0} ballots and board rows took {loadSeconds:0.0} s; not part of the tally)"));
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>An election in a temp home with <c>voters</c> registered voters and an in-process server.</summary>
    private sealed class BenchElection : IAsyncDisposable
    {
        private readonly string _directory;
        private readonly RSA _electionKey;
        private readonly ECDsa _receiptKey;

        private BenchElection(string directory, ElectionFiles files, IBallotStore store, IReadOnlyList<VoterCredential> voters)
        {
            _directory = directory;
            Files = files;
            Store = store;
            Voters = voters;
            Home = new SafeWireHome(directory);
            _electionKey = files.LoadElectionKey();
            _receiptKey = files.LoadReceiptKey();
            Server = new VoteServer(new ElectionContext(files.Definition, _electionKey, files.LoadVoters()), store, Signer);
        }

        public ElectionFiles Files { get; }

        public string Name => Files.Definition.Name;

        public IBallotStore Store { get; }

        public IReadOnlyList<VoterCredential> Voters { get; }

        public SafeWireHome Home { get; }

        public VoteServer Server { get; }

        public Func<long, byte[], byte[], byte[]> Signer => (sequence, hash, head) => Receipt.Sign(_receiptKey, Name, sequence, hash, head);

        public static async Task<BenchElection> CreateAsync(string? database, int voters, RSA? electionKey, int candidates = 7)
        {
            var directory = Directory.CreateTempSubdirectory("safewire-vote-bench-").FullName;
            var definition = new ElectionDefinition { Name = "b" + Guid.NewGuid().ToString("N")[..12], Candidates = candidates, MaxScore = 9, Database = database };
            var files = ElectionFiles.Create(directory, definition, electionKey);
            var store = BallotStore.Open(files.DatabaseTarget);
            await store.CreateElectionAsync(definition, CancellationToken.None);
            var credentials = voters == 0 ? [] : VoterRegistry.Register(files, files.LoadVoters().NextNumericIds(voters));
            return new BenchElection(directory, files, store, credentials);
        }

        public async ValueTask DisposeAsync()
        {
            await Store.DisposeAsync();
            _electionKey.Dispose();
            _receiptKey.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
