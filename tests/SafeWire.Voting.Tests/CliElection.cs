using System.Globalization;
using SafeWire.Identity;
using SafeWire.TestSupport;
using SafeWire.Voting.Storage;

namespace SafeWire.Voting.Tests;

/// <summary>An election made and served by the real safewire executable, in a temp home.</summary>
internal sealed class CliElection : IDisposable
{
    private readonly TempDirectory _directory = new();

    private CliElection(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public string Home => _directory["home"];

    public string Credentials => _directory["creds"];

    public string Credential(string voterId) => Path.Combine(Credentials, voterId + ".cred");

    public static async Task<CliElection> CreateAsync(int candidates, int maxScore, int voters, string? database = null)
    {
        var election = new CliElection("cli" + Guid.NewGuid().ToString("N")[..10]);
        var init = new List<string> { "vote", "init", election.Name, "--candidates", Str(candidates), "--max-score", Str(maxScore) };
        if (database is not null)
        {
            init.AddRange(["--db", database]);
        }

        await election.RunOkAsync([.. init]);
        await election.RunOkAsync("vote", "register", election.Name, "--count", Str(voters), "--out", election.Credentials);
        return election;
    }

    public Task<ProcessResult> RunAsync(params string[] args) =>
        SafeWireProcess.RunAsync(["--home", Home, .. args], timeout: TimeSpan.FromSeconds(90));

    public async Task<ProcessResult> RunOkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"safewire {string.Join(' ', args)} exited {result.ExitCode}\n{result.Output}\n{result.Error}");
        return result;
    }

    public SafeWireProcess StartCli(params string[] args) => SafeWireProcess.Start(["--home", Home, .. args]);

    /// <summary>Starts <c>vote serve</c> (given arguments after the election name) and waits until it listens.</summary>
    public async Task<SafeWireProcess> StartServerAsync(params string[] args)
    {
        var server = StartCli(["vote", "serve", Name, .. args]);
        await server.WaitForOutputAsync("serving election", TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>An in-process voter talking to the real server over SecureStream, trusting the CA from its credential.</summary>
    public async Task<CastResult> CastAsync(int port, string voterId, string ballot, CancellationToken cancellationToken)
    {
        var credential = VoterCredential.Load(Credential(voterId));
        var verifier = VoteTransport.ServerVerifier(credential.CaCertificate, new SafeWireHome(Home));
        await using var stream = await VoteTransport.ConnectAsync("127.0.0.1", port, verifier, "127.0.0.1", VoteTransport.BusyAttempts, null, cancellationToken); // as vote cast: retries while busy
        return await VoteClient.CastAsync(stream, credential, voterId, (no, _) => ValueTask.FromResult(no is null ? ballot : null), cancellationToken);
    }

    public IBallotStore OpenStore() => BallotStore.Open(ElectionFiles.Open(Home, Name).DatabaseTarget);

    public void Dispose() => _directory.Dispose();

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
