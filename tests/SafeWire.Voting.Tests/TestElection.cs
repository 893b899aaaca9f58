using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SafeWire.TestSupport;
using SafeWire.Voting.Protocol;
using SafeWire.Voting.Storage;

namespace SafeWire.Voting.Tests;

/// <summary>A fresh election in a temp home: keys, registered voters, a store (SQLite, or PostgreSQL when given) and a server.</summary>
internal sealed class TestElection : IAsyncDisposable
{
    private TestElection(TempDirectory home, ElectionFiles files, IReadOnlyList<VoterCredential> voters, IBallotStore store)
    {
        Home = home;
        Files = files;
        Voters = voters;
        Store = store;
        ElectionKey = files.LoadElectionKey();
        ReceiptKey = files.LoadReceiptKey();
        Context = new ElectionContext(files.Definition, ElectionKey, files.LoadVoters());
        Server = new VoteServer(Context, store, Signer, new VoteServerOptions { IdleTimeout = TimeSpan.FromSeconds(20) });
    }

    // One RSA-3072 key for all test elections: generating one takes up to seconds on a busy machine.
    private static readonly Lazy<RSA> s_sharedElectionKey = new(() => RSA.Create(ElectionFiles.ElectionKeyBits));

    public TempDirectory Home { get; }

    public ElectionFiles Files { get; }

    public string Name => Files.Definition.Name;

    public IReadOnlyList<VoterCredential> Voters { get; }

    public IBallotStore Store { get; }

    public RSA ElectionKey { get; }

    public ECDsa ReceiptKey { get; }

    public ElectionContext Context { get; }

    public VoteServer Server { get; }

    public Func<long, byte[], byte[], byte[]> Signer => (sequence, hash, head) => Receipt.Sign(ReceiptKey, Name, sequence, hash, head);

    public static async Task<TestElection> CreateAsync(int candidates = 7, int maxScore = 9, bool allowRevote = false, int voters = 3, string? database = null)
    {
        var home = new TempDirectory();
        var definition = new ElectionDefinition
        {
            Name = "e" + Guid.NewGuid().ToString("N")[..12],
            Candidates = candidates,
            MaxScore = maxScore,
            AllowRevote = allowRevote,
            Database = database,
        };
        var files = ElectionFiles.Create(home.Path, definition, s_sharedElectionKey.Value);
        var store = BallotStore.Open(files.DatabaseTarget);
        await store.CreateElectionAsync(definition, CancellationToken.None);
        var credentials = VoterRegistry.Register(files, files.LoadVoters().NextNumericIds(voters));
        return new TestElection(home, files, credentials, store);
    }

    /// <summary>Casts over a real loopback TCP connection to this election's in-process server.</summary>
    public async Task<CastResult> CastAsync(VoterCredential voter, IReadOnlyList<string> ballots, string? voterId = null)
    {
        var (client, server) = await LoopbackPair.CreateAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var serving = Server.HandleConnectionAsync(server, timeout.Token);
        try
        {
            var next = 0;
            return await VoteClient.CastAsync(client, voter, voterId ?? voter.VoterId,
                (_, _) => ValueTask.FromResult(next < ballots.Count ? ballots[next++] : null), timeout.Token);
        }
        finally
        {
            await client.DisposeAsync();
            await serving.WaitAsync(timeout.Token);
            await server.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        ElectionKey.Dispose();
        ReceiptKey.Dispose();
        Home.Dispose();
    }
}

/// <summary>Two ends of a loopback TCP connection.</summary>
internal static class LoopbackPair
{
    public static async Task<(NetworkStream Client, NetworkStream Server)> CreateAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        var accept = listener.AcceptTcpClientAsync();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await accept.WaitAsync(TimeSpan.FromSeconds(10));
        return (new NetworkStream(client.Client, ownsSocket: true), new NetworkStream(server.Client, ownsSocket: true));
    }
}

/// <summary>The PostgreSQL server the tests may use: $SAFEWIRE_TEST_POSTGRES (.ci/run starts one and sets it).</summary>
internal static class TestPostgres
{
    /// <summary>Why the PostgreSQL tests are skipped, and how to run them.</summary>
    public const string SkipReason = "PostgreSQL tests NOT RUN: no PostgreSQL server given; set SAFEWIRE_TEST_POSTGRES=\"Host=127.0.0.1;Port=...;Username=...;Database=...\" (.ci/run starts a throwaway server and sets it).";

    private static int s_reasonShown;

    public static string? ConnectionString => Environment.GetEnvironmentVariable("SAFEWIRE_TEST_POSTGRES") is { Length: > 0 } value ? value : null;

    /// <summary>The connection string, or a skip that says clearly why (a failure in CI, where SAFEWIRE_REQUIRE_POSTGRES=1).</summary>
    public static string Require()
    {
        if (ConnectionString is { } value)
        {
            return value;
        }

        if (Environment.GetEnvironmentVariable("SAFEWIRE_REQUIRE_POSTGRES") == "1")
        {
            Assert.Fail("SAFEWIRE_REQUIRE_POSTGRES=1 but SAFEWIRE_TEST_POSTGRES is not set: the PostgreSQL tests must run here.");
        }

        // dotnet test prints "[SKIP]" without the reason: say it once as a diagnostic message (xunit.runner.json shows them).
        if (Interlocked.Exchange(ref s_reasonShown, 1) == 0)
        {
            TestContext.Current.SendDiagnosticMessage(SkipReason);
        }

        Assert.Skip(SkipReason);
        return null!;
    }
}
